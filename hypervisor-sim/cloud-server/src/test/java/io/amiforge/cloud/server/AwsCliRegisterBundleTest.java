package io.amiforge.cloud.server;

import static io.amiforge.cloud.server.TestCloud.ALICE;
import static io.amiforge.cloud.server.TestCloud.BOB;
import static io.amiforge.cloud.server.TestCloud.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.cloud.Ec2Credentials;
import io.amiforge.cloud.bundle.BundleManifest;
import io.amiforge.cloud.bundle.Bundler;
import io.amiforge.cloud.server.auth.SigningCertificates;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RegisterImage with ImageLocation through Debian's unmodified AWS CLI: a bundle in the store's
 * stand-in for S3 ({@code s3/BUCKET/KEY}), its signature checked against the caller's registered
 * certificate, registered as an instance-store image; locations outside a bucket, missing
 * manifests and other accounts' signatures are refused with EC2's errors.
 */
@Tag("interop")
class AwsCliRegisterBundleTest {

    @TempDir
    Path dir;

    private static void certify(TestCloud c, String account, Ec2Credentials keys) throws IOException {
        SigningCertificates.of(c.root).install(account, keys.certificateFile());
    }

    @Test
    void aBundleInTheStoresS3RegistersAsAnInstanceStoreImageOfItsSigner() throws Exception {
        try (TestCloud c = new TestCloud(dir.resolve("root"))) {
            Ec2Credentials alice = Ec2Credentials.loadOrCreate(dir.resolve("alice-keys"), "alice");
            Path image = dir.resolve("disk.img");
            byte[] data = new byte[3 << 20];
            new Random(5).nextBytes(data);
            Files.write(image, data);
            Bundler.withKeys(alice.certificate(), alice.privateKey(), c.cloud.ec2Credentials().certificate())
                    .bundle(image, c.root.resolve("s3/amis-of-alice/web/v1"), "web", ALICE, BundleManifest.MachineConfiguration.of("x86_64"));
            String location = "amis-of-alice/web/v1/web.manifest.xml";
            String[] register = {"ec2", "register-image", "--image-location", location, "--name", "web-v1",
                "--virtualization-type", "hvm"};

            Processes.Result uncertified = c.aws(c.alice, "us-east-1", register);
            assertThat(uncertified.output()).contains("InvalidManifest", "no signing certificate");
            certify(c, ALICE, alice);
            String imageId = ok(c.aws(c.alice, "us-east-1", register)).path("ImageId").asText();
            assertThat(imageId).matches("ami-[0-9a-f]{17}");
            JsonNode described = ok(c.aws(c.alice, "us-east-1", "ec2", "describe-images", "--image-ids", imageId))
                    .path("Images").get(0);
            assertThat(described.path("RootDeviceType").asText()).isEqualTo("instance-store");
            assertThat(described.path("Name").asText()).isEqualTo("web-v1");
            assertThat(described.path("ImageLocation").asText()).contains("web.manifest.xml");

            certify(c, BOB, Ec2Credentials.loadOrCreate(dir.resolve("bob-keys"), "bob"));
            Processes.Result notBobs = c.aws(c.bob, "us-east-1", register);
            assertThat(notBobs.exitCode()).isNotZero();
            assertThat(notBobs.output()).as("Alice's signature does not verify with Bob's certificate")
                    .contains("InvalidManifest", "does not verify");

            for (String bad : new String[] {"amis-of-alice/../amis-of-alice/web/v1/web.manifest.xml", "/etc/passwd",
                "amis-of-alice/web//v1/web.manifest.xml", "amis-of-alice/web/v1/web.part.0"}) {
                Processes.Result refused = c.aws(c.alice, "us-east-1", "ec2", "register-image", "--image-location", bad, "--name", "x");
                assertThat(refused.output()).as(bad).contains("InvalidParameterValue");
            }
            Processes.Result missing = c.aws(c.alice, "us-east-1", "ec2", "register-image", "--image-location",
                    "amis-of-alice/web/v2/web.manifest.xml", "--name", "web-v2", "--virtualization-type", "hvm");
            assertThat(missing.output()).contains("InvalidManifest", "no such object");
            assertThat(ok(c.aws(c.alice, "us-east-1", "ec2", "describe-images", "--owners", "self")).path("Images")).hasSize(1);
        }
    }
}
