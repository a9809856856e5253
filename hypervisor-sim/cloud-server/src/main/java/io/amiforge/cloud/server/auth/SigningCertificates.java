package io.amiforge.cloud.server.auth;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.cloud.AtomicFiles;
import io.amiforge.store.AccountId;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Optional;

/**
 * The X.509 certificates accounts sign their bundles with (EC2's registered signing
 * certificates), in {@code STORE/accounts/certificates/ACCOUNT.pem}: RegisterImage with an
 * ImageLocation checks a bundle manifest's signature against its caller's. {@link #install}
 * accepts exactly one PEM or DER X.509 certificate, checks it parses and is within its validity
 * period, and replaces the account's previous one atomically.
 */
public final class SigningCertificates {

    /** Larger than any real certificate chain; a file above it is refused before it is read. */
    private static final long MAX_BYTES = 64 * 1024;

    private final Path dir;

    private SigningCertificates(Path dir) {
        this.dir = dir;
    }

    /** The signing certificates of the store root {@code root} (nothing is created until one is installed). */
    public static SigningCertificates of(Path root) {
        return new SigningCertificates(root.resolve("accounts").resolve("certificates"));
    }

    /** The certificate file of {@code account}, if one was installed. */
    public Optional<Path> find(String account) {
        if (!AccountId.isValid(account)) {
            return Optional.empty();
        }
        Path file = dir.resolve(account + ".pem");
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** Where certificates live (for messages). */
    public Path directory() {
        return dir;
    }

    /**
     * Installs the certificate in {@code source} (PEM or DER) as {@code account}'s signing
     * certificate and returns it; {@code InvalidParameterValue} naming the file and what is wrong
     * if it is not one valid X.509 certificate.
     */
    public X509Certificate install(String account, Path source) {
        if (!AccountId.isValid(account)) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "account '" + account + "' is not a 12-digit account id");
        }
        byte[] bytes;
        try {
            if (Files.size(source) > MAX_BYTES) {
                throw invalid(source, "it has " + Files.size(source) + " bytes; a certificate has at most " + MAX_BYTES);
            }
            bytes = Files.readAllBytes(source);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.NOT_FOUND, "InvalidParameterValue", "cannot read certificate " + source + ": " + e.getMessage());
        }
        X509Certificate certificate = parse(source, bytes);
        try {
            certificate.checkValidity();
        } catch (CertificateException e) {
            throw invalid(source, "it is valid only from " + certificate.getNotBefore().toInstant() + " to "
                    + certificate.getNotAfter().toInstant());
        }
        write(account, certificate);
        return certificate;
    }

    private static X509Certificate parse(Path source, byte[] bytes) {
        String text = new String(bytes, StandardCharsets.US_ASCII);
        int begins = count(text, "-----BEGIN CERTIFICATE-----");
        if (begins > 1) {
            throw invalid(source, "it holds " + begins + " certificates; install only the signing certificate");
        }
        if (begins == 0 && text.contains("-----BEGIN")) {
            int at = text.indexOf("-----BEGIN");
            int end = text.indexOf("-----", at + 10);
            String kind = end > at ? text.substring(at + 11, end).trim() : "unknown";
            throw invalid(source, "it holds a PEM '" + kind + "' block, not a CERTIFICATE"
                    + (kind.contains("PRIVATE") ? " (never give amiforge a private key here)" : ""));
        }
        try {
            var parsed = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
            if (parsed.size() != 1 || !(parsed.iterator().next() instanceof X509Certificate x509)) {
                throw invalid(source, parsed.isEmpty() ? "it holds no certificate" : "it holds " + parsed.size() + " certificates");
            }
            return x509;
        } catch (CertificateException e) {
            throw invalid(source, "it is not an X.509 certificate in PEM or DER (" + e.getMessage() + ")");
        }
    }

    private void write(String account, X509Certificate certificate) {
        Path file = dir.resolve(account + ".pem");
        String pem;
        try {
            Files.createDirectories(dir);
            pem = "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(certificate.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
        } catch (IOException | CertificateException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", "cannot write " + file + ": " + e.getMessage());
        }
        AtomicFiles.writeBytes(file, pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static int count(String text, String marker) {
        int n = 0;
        for (int at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + marker.length())) {
            n++;
        }
        return n;
    }

    private static AmiforgeException invalid(Path source, String why) {
        return new AmiforgeException(Kind.INVALID_INPUT, "InvalidParameterValue", "certificate " + source + " cannot be installed: " + why);
    }
}
