package io.amiforge.cloud.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.ArchitectureValues;
import software.amazon.awssdk.services.ec2.model.BlockDeviceMapping;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Image;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceStateName;

/**
 * The AWS SDK for Java v2 EC2 client, unmodified, configured only with the endpoint and a key:
 * volumes, snapshots, images (with the SDK's paginator over MaxResults/NextToken), instances
 * and their life cycle, errors as typed exceptions with EC2's codes.
 */
@Tag("interop")
class AwsSdkEc2Test {

    @TempDir
    Path dir;

    private static Ec2Client client(TestCloud c, io.amiforge.cloud.server.auth.AccessKey key) {
        return Ec2Client.builder().endpointOverride(URI.create(c.endpoint())).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key.accessKeyId(),
                        key.secretAccessKey())))
                .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    }

    @Test
    void theSdkDrivesVolumesSnapshotsImagesAndInstances() {
        try (TestCloud c = new TestCloud(dir); Ec2Client ec2 = client(c, c.alice); Ec2Client bob = client(c, c.bob)) {
            assertThat(ec2.describeRegions().regions()).extracting(r -> r.regionName()).contains("us-east-1", "eu-west-1");
            assertThat(ec2.describeAvailabilityZones().availabilityZones()).hasSize(6);

            String volume = ec2.createVolume(r -> r.size(1).availabilityZone("us-east-1b")).volumeId();
            assertThat(ec2.describeVolumes(r -> r.volumeIds(volume)).volumes()).singleElement()
                    .satisfies(v -> assertThat(v.size()).isEqualTo(1));
            String snapshot = ec2.createSnapshot(r -> r.volumeId(volume).description("empty disk")).snapshotId();
            assertThat(ec2.describeSnapshots(r -> r.ownerIds("self")).snapshots()).extracting(s -> s.snapshotId())
                    .containsExactly(snapshot);
            for (int i = 0; i < 12; i++) {
                int n = i;
                ec2.registerImage(r -> r.name("image-" + n).architecture(ArchitectureValues.X86_64).rootDeviceName("/dev/xvda")
                        .virtualizationType("hvm").blockDeviceMappings(BlockDeviceMapping.builder().deviceName("/dev/xvda")
                                .ebs(e -> e.snapshotId(snapshot)).build()));
            }
            List<Image> images = ec2.describeImagesPaginator(r -> r.owners("self").maxResults(5)).images().stream().toList();
            assertThat(images).as("the paginator follows NextToken over three pages").hasSize(12);
            assertThat(ec2.describeImages(r -> r.filters(Filter.builder().name("name").values("image-1*").build())).images())
                    .extracting(Image::name).containsExactlyInAnyOrder("image-1", "image-10", "image-11");
            assertThat(bob.describeImages(r -> r.owners(TestCloud.ALICE)).images()).as("private images are not Bob's to see")
                    .isEmpty();

            String ami = images.getFirst().imageId();
            Instance launched = ec2.runInstances(r -> r.imageId(ami).instanceType("t3.micro").minCount(1).maxCount(1)
                    .placement(p -> p.availabilityZone("us-east-1c"))).instances().getFirst();
            assertThat(launched.state().name()).isEqualTo(InstanceStateName.RUNNING);
            assertThat(launched.state().code()).isEqualTo(16);
            assertThat(launched.placement().availabilityZone()).isEqualTo("us-east-1c");
            String id = launched.instanceId();
            assertThat(ec2.stopInstances(r -> r.instanceIds(id)).stoppingInstances().getFirst().currentState().name())
                    .isEqualTo(InstanceStateName.STOPPED);
            assertThat(ec2.startInstances(r -> r.instanceIds(id)).startingInstances().getFirst().currentState().name())
                    .isEqualTo(InstanceStateName.RUNNING);
            ec2.rebootInstances(r -> r.instanceIds(id));
            assertThat(ec2.describeInstances(r -> r.instanceIds(id)).reservations().getFirst().instances().getFirst()
                    .blockDeviceMappings()).singleElement().satisfies(m -> assertThat(m.ebs().volumeId()).startsWith("vol-"));
            assertThat(ec2.describeVolumes(r -> r.filters(Filter.builder().name("status").values("in-use").build())).volumes())
                    .singleElement().satisfies(v -> assertThat(v.attachments().getFirst().instanceId()).isEqualTo(id));
            assertThatThrownBy(() -> ec2.deleteSnapshot(r -> r.snapshotId(snapshot))).isInstanceOfSatisfying(Ec2Exception.class,
                    e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidSnapshot.InUse"));
            assertThat(ec2.terminateInstances(r -> r.instanceIds(id)).terminatingInstances().getFirst().currentState().name())
                    .isEqualTo(InstanceStateName.TERMINATED);

            assertThatThrownBy(() -> ec2.describeImages(r -> r.imageIds("ami-bogus"))).isInstanceOfSatisfying(Ec2Exception.class,
                    e -> {
                        assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidAMIID.Malformed");
                        assertThat(e.statusCode()).isEqualTo(400);
                    });
            assertThatThrownBy(() -> ec2.runInstances(r -> r.imageId(ami).minCount(1).maxCount(1).dryRun(true)))
                    .isInstanceOfSatisfying(Ec2Exception.class,
                            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("DryRunOperation"));
            assertThatThrownBy(() -> bob.runInstances(r -> r.imageId(ami).minCount(1).maxCount(1)))
                    .isInstanceOfSatisfying(Ec2Exception.class,
                            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("UnauthorizedOperation"));
            assertThatThrownBy(() -> bob.deleteVolume(r -> r.volumeId(volume))).isInstanceOfSatisfying(Ec2Exception.class,
                    e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("InvalidVolume.NotFound"));
            ec2.deleteVolume(r -> r.volumeId(volume));
        }
    }
}
