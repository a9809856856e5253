package io.amiforge.cloud.bundle;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.util.HexFormat;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The cryptography of the bundle format, all from the JDK: AES-128-CBC with PKCS#5 padding for
 * the data; the key and IV travel as 32-character lowercase hex strings, each RSA PKCS#1 v1.5
 * encrypted (as ec2-ami-tools and {@code openssl rsautl -encrypt} do); the manifest signature is
 * RSA-SHA1 (PKCS#1 v1.5) by the user's private key.
 */
final class BundleCrypto {

    static final HexFormat HEX = HexFormat.of();
    static final int AES_KEY_BYTES = 16;

    private BundleCrypto() {
    }

    /** A fresh random 16-byte value from a strong generator (key or IV). */
    static byte[] random16(SecureRandom random) {
        byte[] b = new byte[AES_KEY_BYTES];
        random.nextBytes(b);
        return b;
    }

    static Cipher aes(int mode, byte[] key, byte[] iv) {
        try {
            Cipher c = Cipher.getInstance("AES/CBC/PKCS5Padding");
            c.init(mode, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
            return c;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-128-CBC is always available in the JDK", e);
        }
    }

    /** Hex of the RSA PKCS#1 v1.5 encryption of the ASCII hex string of {@code secret}. */
    static String encryptHexSecret(byte[] secret, PublicKey key, SecureRandom random) {
        try {
            Cipher rsa = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            rsa.init(Cipher.ENCRYPT_MODE, key, random);
            return HEX.formatHex(rsa.doFinal(HEX.formatHex(secret).getBytes(StandardCharsets.US_ASCII)));
        } catch (InvalidKeyException e) {
            throw BundleException.invalid(BundleException.INVALID_KEY, "cannot encrypt to the certificate's key: "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is always available in the JDK", e);
        }
    }

    /**
     * Decrypts one of the manifest's encrypted key or IV elements with {@code key}. The plaintext
     * is the 32-character hex string ec2-ami-tools writes; a raw 16-byte value is accepted too.
     */
    static byte[] decryptHexSecret(String hexCipherText, PrivateKey key, String element, String manifest) {
        byte[] plain;
        try {
            Cipher rsa = Cipher.getInstance("RSA/ECB/PKCS1Padding");
            rsa.init(Cipher.DECRYPT_MODE, key);
            plain = rsa.doFinal(HEX.parseHex(hexCipherText));
        } catch (BadPaddingException | IllegalBlockSizeException | InvalidKeyException e) {
            throw new BundleException(BundleException.Kind.INVALID_INPUT, BundleException.INVALID_KEY, manifest
                    + ": <" + element + "> cannot be decrypted with the given private key (wrong key, or the element"
                    + " was altered): " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is always available in the JDK", e);
        }
        if (plain.length == AES_KEY_BYTES) {
            return plain;
        }
        String text = new String(plain, StandardCharsets.US_ASCII).strip();
        if (text.length() == 2 * AES_KEY_BYTES && text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return HEX.parseHex(text);
        }
        throw BundleException.invalid(BundleException.INVALID_KEY, manifest + ": <" + element + "> decrypts to "
                + plain.length + " bytes, expected a 32-digit hex string (AES-128)");
    }

    static String sign(String text, PrivateKey key) {
        try {
            Signature s = Signature.getInstance("SHA1withRSA");
            s.initSign(key);
            s.update(text.getBytes(StandardCharsets.ISO_8859_1));
            return HEX.formatHex(s.sign());
        } catch (InvalidKeyException e) {
            throw BundleException.invalid(BundleException.INVALID_KEY, "cannot sign with the private key: "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA1withRSA is always available in the JDK", e);
        }
    }

    static boolean verify(String text, String hexSignature, PublicKey key) {
        try {
            Signature s = Signature.getInstance("SHA1withRSA");
            s.initVerify(key);
            s.update(text.getBytes(StandardCharsets.ISO_8859_1));
            return s.verify(HEX.parseHex(hexSignature));
        } catch (SignatureException e) {
            return false;
        } catch (InvalidKeyException e) {
            throw BundleException.invalid(BundleException.INVALID_KEY, "cannot verify with the key: "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA1withRSA is always available in the JDK", e);
        }
    }
}
