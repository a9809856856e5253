package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated cloud's path: key pairs made in Java (no certificates, no openssl). */
class BundleWithJdkKeysTest {

    static KeyPair user;
    static KeyPair ec2;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        user = g.generateKeyPair();
        ec2 = g.generateKeyPair();
    }

    @Test
    void bundleAndLaunchSideUnbundle(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("root.img");
        Files.write(image, TestImages.semiCompressible(700_000, 4));
        Bundler.Result r = Bundler.withKeys(user.getPublic(), user.getPrivate(), ec2.getPublic()).withThreads(2)
                .withDurable(false).bundle(image, dir.resolve("b"), "ami-root", "111122223333",
                        MachineConfiguration.of("x86_64"));
        // user side, key written and read back as PKCS#8 PEM
        PemKeys.writePrivateKey(dir.resolve("user.pem"), user.getPrivate());
        Unbundler.Result u = Unbundler.withPrivateKeyFile(dir.resolve("user.pem")).unbundle(r.manifestFile(),
                dir.resolve("b"), dir.resolve("u"));
        assertThat(Files.mismatch(image, u.imageFile())).isEqualTo(-1L);
        assertThat(u.imageFile().getFileName().toString()).isEqualTo("ami-root");
        // EC2 side: its own key decrypts ec2_encrypted_key; the owner's public key checks the signature
        Unbundler.Result e = Unbundler.withPrivateKey(ec2.getPrivate()).asEc2().withSigner(user.getPublic())
                .unbundle(r.manifestFile(), dir.resolve("b"), dir.resolve("e"));
        assertThat(Files.mismatch(image, e.imageFile())).isEqualTo(-1L);
        // EC2 side with the wrong owner: refused
        assertThatThrownBy(() -> Unbundler.withPrivateKey(ec2.getPrivate()).asEc2().withSigner(ec2.getPublic())
                .unbundle(r.manifestFile(), dir.resolve("b"), dir.resolve("x")))
                .isInstanceOf(BundleException.class).hasMessageContaining("does not verify");
        assertThat(dir.resolve("x")).satisfiesAnyOf(p -> assertThat(p).doesNotExist(),
                p -> assertThat(p).isEmptyDirectory());
    }

    @Test
    void longPrefixUsesGnuLongNamesAndRoundTrips(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("i");
        Files.write(image, TestImages.semiCompressible(50_000, 9));
        String prefix = "ubuntu-" + "x".repeat(150) + ".img"; // longer than the 100-byte ustar name field
        Bundler.Result r = Bundler.withKeys(user.getPublic(), user.getPrivate(), ec2.getPublic()).withDurable(false)
                .bundle(image, dir.resolve("b"), prefix, "111122223333", MachineConfiguration.of("x86_64"));
        assertThat(r.partFiles().getFirst().getFileName().toString()).isEqualTo(prefix + ".part.0");
        Unbundler.Result u = Unbundler.withPrivateKey(user.getPrivate()).unbundle(r.manifestFile(), dir.resolve("b"),
                dir.resolve("u"));
        assertThat(u.imageFile().getFileName().toString()).isEqualTo(prefix);
        assertThat(Files.mismatch(image, u.imageFile())).isEqualTo(-1L);
    }

    @Test
    void failedBundleLeavesNothingBehind(@TempDir Path dir) throws Exception {
        Path image = dir.resolve("i");
        Files.write(image, TestImages.semiCompressible(50_000, 9));
        Path dest = Files.createDirectories(dir.resolve("b"));
        // the manifest's final name is taken by a non-empty directory: the last rename fails
        Files.createDirectories(dest.resolve("i.manifest.xml/occupied"));
        assertThatThrownBy(() -> Bundler.withKeys(user.getPublic(), user.getPrivate(), ec2.getPublic())
                .withDurable(false).withPartSize(16 * 1024).bundle(image, dest, null, "1",
                        MachineConfiguration.of("x86_64")))
                .isInstanceOf(BundleException.class).hasMessageContaining("bundling");
        try (var left = Files.list(dest)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactly("i.manifest.xml");
        }
    }
}
