package io.amiforge.cloud.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Ec2Credentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Installing an account's signing certificate: one valid X.509 certificate in, nothing else. */
class SigningCertificatesTest {

    private static final String ALICE = "111122223333";

    @TempDir
    Path dir;

    @Test
    void aPemCertificateIsInstalledAndFoundAgainByItsAccount() throws Exception {
        Ec2Credentials keys = Ec2Credentials.loadOrCreate(dir.resolve("keys"), "alice");
        SigningCertificates certificates = SigningCertificates.of(dir.resolve("store"));
        assertThat(certificates.find(ALICE)).isEmpty();

        X509Certificate installed = certificates.install(ALICE, keys.certificateFile());

        assertThat(installed).isEqualTo(keys.certificate());
        Path file = certificates.find(ALICE).orElseThrow();
        try (var in = Files.newInputStream(file)) {
            assertThat(CertificateFactory.getInstance("X.509").generateCertificate(in)).isEqualTo(keys.certificate());
        }
        assertThat(certificates.find("222233334444")).isEmpty();
        assertThat(certificates.find("../../etc/passwd")).as("only account ids name files").isEmpty();
    }

    @Test
    void aDerCertificateIsInstalledAsPem() throws Exception {
        Ec2Credentials keys = Ec2Credentials.loadOrCreate(dir.resolve("keys"), "alice");
        Path der = dir.resolve("cert.der");
        Files.write(der, keys.certificate().getEncoded());
        SigningCertificates certificates = SigningCertificates.of(dir.resolve("store"));

        certificates.install(ALICE, der);

        assertThat(Files.readString(certificates.find(ALICE).orElseThrow())).startsWith("-----BEGIN CERTIFICATE-----");
    }

    @Test
    void aPrivateKeyIsRefusedAndNothingIsWritten() {
        Ec2Credentials keys = Ec2Credentials.loadOrCreate(dir.resolve("keys"), "alice");
        SigningCertificates certificates = SigningCertificates.of(dir.resolve("store"));

        assertThatThrownBy(() -> certificates.install(ALICE, keys.privateKeyFile()))
                .isInstanceOf(AmiforgeException.class)
                .hasMessageContaining(keys.privateKeyFile().toString())
                .hasMessageContaining("not a CERTIFICATE")
                .hasMessageContaining("private key");
        assertThat(certificates.find(ALICE)).isEmpty();
    }

    @Test
    void garbageTwoCertificatesAndBadAccountsAreRefusedByName() throws Exception {
        Ec2Credentials keys = Ec2Credentials.loadOrCreate(dir.resolve("keys"), "alice");
        SigningCertificates certificates = SigningCertificates.of(dir.resolve("store"));
        Path garbage = dir.resolve("garbage.pem");
        Files.writeString(garbage, "hello\n");
        Path two = dir.resolve("two.pem");
        String pem = Files.readString(keys.certificateFile());
        Files.writeString(two, pem + pem);

        assertThatThrownBy(() -> certificates.install(ALICE, garbage)).hasMessageContaining("garbage.pem")
                .hasMessageContaining("not an X.509 certificate");
        assertThatThrownBy(() -> certificates.install(ALICE, two)).hasMessageContaining("2 certificates");
        assertThatThrownBy(() -> certificates.install("12", keys.certificateFile())).hasMessageContaining("12-digit");
        assertThatThrownBy(() -> certificates.install(ALICE, dir.resolve("missing.pem"))).hasMessageContaining("missing.pem");
        assertThat(certificates.find(ALICE)).isEmpty();
    }
}
