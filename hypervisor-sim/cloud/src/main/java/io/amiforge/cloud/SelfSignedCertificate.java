package io.amiforge.cloud;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/**
 * Makes a self-signed X.509 v1 certificate (SHA256withRSA) for an RSA key pair, written in DER
 * by hand since the JDK has no public API for it. The cloud uses one as its "EC2 certificate"
 * (bundles encrypt their key to it) and the demo one per user.
 */
public final class SelfSignedCertificate {

    private static final byte[] SHA256_WITH_RSA = {0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x0b};
    private static final byte[] COMMON_NAME = {0x55, 0x04, 0x03};

    private SelfSignedCertificate() {
    }

    /** A certificate for {@code keys}, subject and issuer {@code CN=commonName}, valid from {@code notBefore} for {@code days}. */
    public static X509Certificate create(KeyPair keys, String commonName, ZonedDateTime notBefore, int days, long serial) {
        try {
            byte[] algorithm = sequence(concat(tlv(0x06, SHA256_WITH_RSA), new byte[]{0x05, 0x00}));
            byte[] name = sequence(tlv(0x31, sequence(concat(tlv(0x06, COMMON_NAME),
                    tlv(0x0c, commonName.getBytes(StandardCharsets.UTF_8))))));
            DateTimeFormatter utc = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
            ZonedDateTime from = notBefore.withZoneSameInstant(ZoneOffset.UTC);
            byte[] validity = sequence(concat(tlv(0x17, from.format(utc).getBytes(StandardCharsets.US_ASCII)),
                    tlv(0x17, from.plusDays(days).format(utc).getBytes(StandardCharsets.US_ASCII))));
            byte[] tbs = sequence(concat(integer(serial), algorithm, name, validity, name, keys.getPublic().getEncoded()));
            Signature signer = Signature.getInstance("SHA256withRSA");
            signer.initSign(keys.getPrivate());
            signer.update(tbs);
            byte[] signature = signer.sign();
            byte[] bitString = new byte[signature.length + 1];
            System.arraycopy(signature, 0, bitString, 1, signature.length);
            byte[] der = sequence(concat(tbs, algorithm, tlv(0x03, bitString)));
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a certificate for " + commonName, e);
        }
    }

    /** PEM text of a certificate. */
    public static String pem(X509Certificate certificate) {
        try {
            return pem("CERTIFICATE", certificate.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** PEM text of DER bytes under {@code label} ("PRIVATE KEY" for PKCS#8). */
    public static String pem(String label, byte[] der) {
        return "-----BEGIN " + label + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + label + "-----\n";
    }

    private static byte[] integer(long value) {
        byte[] raw = java.math.BigInteger.valueOf(value).toByteArray();
        return tlv(0x02, raw);
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int length = content.length;
        if (length < 0x80) {
            out.write(length);
        } else if (length < 0x100) {
            out.write(0x81);
            out.write(length);
        } else if (length < 0x10000) {
            out.write(0x82);
            out.write(length >> 8);
            out.write(length);
        } else {
            out.write(0x83);
            out.write(length >> 16);
            out.write(length >> 8);
            out.write(length);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
