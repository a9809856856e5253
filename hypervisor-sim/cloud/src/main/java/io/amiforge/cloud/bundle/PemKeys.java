package io.amiforge.cloud.bundle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;

/**
 * Reads the keys a bundle needs from PEM files: X.509 certificates ({@code BEGIN CERTIFICATE})
 * and RSA private keys in PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or unencrypted PKCS#8
 * ({@code BEGIN PRIVATE KEY}) form. Failures name the file and what was found.
 */
public final class PemKeys {

    private static final int MAX_PEM_BYTES = 1 << 20;

    private PemKeys() {
    }

    /** The first certificate in a PEM file. */
    public static X509Certificate readCertificate(Path file) {
        byte[] der = block(file, "CERTIFICATE");
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            X509Certificate cert = (X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der));
            if (!"RSA".equals(cert.getPublicKey().getAlgorithm())) {
                throw BundleException.invalid(BundleException.INVALID_KEY, file + ": certificate key is "
                        + cert.getPublicKey().getAlgorithm() + ", expected RSA");
            }
            return cert;
        } catch (CertificateException e) {
            throw BundleException.invalid(BundleException.INVALID_KEY, file + ": not a valid X.509 certificate: "
                    + e.getMessage(), e);
        }
    }

    /** An RSA private key from a PKCS#1 or PKCS#8 PEM file. */
    public static PrivateKey readPrivateKey(Path file) {
        String text = read(file);
        try {
            if (text.contains("-----BEGIN RSA PRIVATE KEY-----")) {
                if (text.contains("Proc-Type: 4,ENCRYPTED")) {
                    throw BundleException.invalid(BundleException.INVALID_KEY, file
                            + ": the RSA private key is passphrase-protected; decrypt it first (openssl rsa)");
                }
                return pkcs1(decode(file, text, "RSA PRIVATE KEY"), file.toString());
            }
            if (text.contains("-----BEGIN PRIVATE KEY-----")) {
                byte[] der = decode(file, text, "PRIVATE KEY");
                return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
            }
            if (text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
                throw BundleException.invalid(BundleException.INVALID_KEY, file
                        + ": the PKCS#8 private key is encrypted; decrypt it first (openssl pkcs8 -nocrypt)");
            }
        } catch (GeneralSecurityException e) {
            throw BundleException.invalid(BundleException.INVALID_KEY, file + ": not a valid RSA private key: "
                    + e.getMessage(), e);
        }
        throw BundleException.invalid(BundleException.INVALID_KEY, file
                + ": no 'BEGIN RSA PRIVATE KEY' or 'BEGIN PRIVATE KEY' block found");
    }

    /** The public half of an RSA private key (both PKCS#1 and PKCS#8 RSA keys carry it). */
    public static PublicKey publicKeyOf(PrivateKey key) {
        if (!(key instanceof RSAPrivateCrtKey crt)) {
            throw BundleException.invalid(BundleException.INVALID_KEY,
                    "the private key does not carry its public exponent; give the certificate explicitly");
        }
        try {
            return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(crt.getModulus(),
                    crt.getPublicExponent()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is always available", e);
        }
    }

    /** Writes {@code key} as an unencrypted PKCS#8 PEM file ({@code BEGIN PRIVATE KEY}), as openssl 3 does. */
    public static void writePrivateKey(Path file, PrivateKey key) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded());
        try {
            Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n",
                    StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw BundleException.io(file.toString(), e);
        }
    }

    static PrivateKey pkcs1(byte[] der, String source) throws GeneralSecurityException {
        Der seq = Der.sequence(der, source);
        BigInteger version = seq.integer("version");
        if (version.signum() != 0) {
            throw BundleException.invalid(BundleException.INVALID_KEY, source
                    + ": PKCS#1 RSAPrivateKey version " + version + ", expected 0 (two-prime)");
        }
        BigInteger n = seq.integer("modulus");
        BigInteger e = seq.integer("publicExponent");
        BigInteger d = seq.integer("privateExponent");
        BigInteger p = seq.integer("prime1");
        BigInteger q = seq.integer("prime2");
        BigInteger dp = seq.integer("exponent1");
        BigInteger dq = seq.integer("exponent2");
        BigInteger qinv = seq.integer("coefficient");
        return KeyFactory.getInstance("RSA").generatePrivate(new RSAPrivateCrtKeySpec(n, e, d, p, q, dp, dq, qinv));
    }

    private static byte[] block(Path file, String label) {
        return decode(file, read(file), label);
    }

    private static byte[] decode(Path file, String text, String label) {
        String begin = "-----BEGIN " + label + "-----";
        String end = "-----END " + label + "-----";
        int start = text.indexOf(begin);
        if (start < 0) {
            throw BundleException.invalid(BundleException.INVALID_KEY, file + ": no '" + begin + "' line found");
        }
        int stop = text.indexOf(end, start);
        if (stop < 0) {
            throw BundleException.invalid(BundleException.INVALID_KEY, file + ": '" + end + "' line missing");
        }
        String body = text.substring(start + begin.length(), stop);
        StringBuilder base64 = new StringBuilder(body.length());
        for (String line : body.split("\\R")) {
            if (line.contains(":")) {
                continue; // RFC 1421 headers
            }
            base64.append(line.strip());
        }
        try {
            return Base64.getDecoder().decode(base64.toString());
        } catch (IllegalArgumentException e) {
            throw BundleException.invalid(BundleException.INVALID_KEY, file + ": bad base64 in the " + label
                    + " block: " + e.getMessage(), e);
        }
    }

    private static String read(Path file) {
        try {
            long size = Files.size(file);
            if (size > MAX_PEM_BYTES) {
                throw BundleException.invalid(BundleException.INVALID_KEY, file + ": " + size
                        + " bytes is too large for a PEM key or certificate (limit " + MAX_PEM_BYTES + ")");
            }
            return new String(Files.readAllBytes(file), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new BundleException(BundleException.Kind.NOT_FOUND, "FileNotFound", file + ": no such file");
        } catch (IOException e) {
            throw BundleException.io(file.toString(), e);
        }
    }
}
