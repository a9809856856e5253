package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Base64;

/**
 * An RSA key pair with its self-signed certificate, kept as PEM files in a directory
 * ({@code cert.pem}, {@code key.pem} in PKCS#8): the cloud's own "EC2" credentials, to which
 * bundles encrypt their key, or a user's signing credentials. Created on first use.
 */
public record Ec2Credentials(Path certificateFile, Path privateKeyFile, X509Certificate certificate, PrivateKey privateKey) {

    /** Loads the credentials in {@code dir}, creating a fresh 2048-bit pair named {@code commonName} if there are none. */
    public static Ec2Credentials loadOrCreate(Path dir, String commonName) {
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        try {
            if (!Files.exists(cert) || !Files.exists(key)) {
                Files.createDirectories(dir);
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                KeyPair pair = generator.generateKeyPair();
                X509Certificate certificate = SelfSignedCertificate.create(pair, commonName,
                        ZonedDateTime.now(ZoneOffset.UTC).minusDays(1), 3650, System.currentTimeMillis());
                Path keyTemp = dir.resolve("key.pem.tmp");
                Files.writeString(keyTemp, SelfSignedCertificate.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
                Files.move(keyTemp, key, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                Path certTemp = dir.resolve("cert.pem.tmp");
                Files.writeString(certTemp, SelfSignedCertificate.pem(certificate));
                Files.move(certTemp, cert, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(Files.newInputStream(cert));
            String pem = Files.readString(key, StandardCharsets.US_ASCII);
            String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            PrivateKey privateKey = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
            return new Ec2Credentials(cert, key, certificate, privateKey);
        } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidCredentials",
                    dir + ": cannot load or create credentials: " + e.getMessage(), e);
        }
    }
}
