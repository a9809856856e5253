package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.remote.RemoteOptions;
import io.amiforge.store.remote.RemoteSnapshotStore;
import io.amiforge.store.s3.S3Config;
import io.amiforge.store.s3.S3Location;
import io.amiforge.store.s3.S3ObjectStore;
import io.amiforge.testkit.CephGateway;
import io.amiforge.transfer.ChainImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An AMI from a snapshot kept on a real Ceph RADOS Gateway: one host builds a bootable HVM image,
 * imports it and publishes its snapshot to the object store; a second host, with nothing local,
 * takes its region store's copy of that snapshot, registers an AMI from it in its cloud, launches an
 * instance, and the simulator boots it to the end.
 */
@Tag("interop")
@Tag("ceph")
class S3BackedImageBootTest {

    static final String OWNER = "111122223333";
    static final String REGION = "us-east-1";

    @TempDir
    Path dir;

    private static S3ObjectStore objects(CephGateway ceph) {
        return new S3ObjectStore(S3Location.parse("s3://amis/shared"), S3Config.defaults().withEndpoint(ceph.endpoint().toString())
                .withRegion(CephGateway.REGION).withKeys(CephGateway.ACCESS_KEY, CephGateway.SECRET_KEY));
    }

    @Test
    @Timeout(600)
    void anImageRegisteredFromAnS3BackedSnapshotLaunchesAndBoots() throws Exception {
        Path tree = Files.createDirectories(dir.resolve("tree/etc"));
        Files.writeString(tree.resolve("hostname"), "from-s3\n");
        Path image = dir.resolve("hvm.raw");
        ImageBuilder.from(dir.resolve("tree")).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(TinyKernel.bzImage()).cmdline("console=ttyS0 kept=on-ceph").bootCode(new AmiforgeBootChain())
                .buildRaw(image, 32L << 20);
        try (CephGateway ceph = CephGateway.start()) {
            String published;
            try (S3ObjectStore hostA = objects(ceph)) {
                hostA.createBucketIfAbsent();
                try (RemoteSnapshotStore a = RemoteSnapshotStore.open(hostA, dir.resolve("host-a"), RemoteOptions.defaults())) {
                    ChainImporter.importImage(a.local(), "hvm", image);
                    published = a.createSnapshot("hvm", "bootable root").id();
                }
            }
            Path rootB = dir.resolve("host-b");
            try (S3ObjectStore hostB = objects(ceph); Cloud cloud = Cloud.open(rootB, new SimulatorBooter(50_000_000L));
                    RemoteSnapshotStore b = RemoteSnapshotStore.over(hostB, cloud.store(REGION), dir.resolve("cache-b"),
                            RemoteOptions.defaults())) {
                assertThat(b.listSnapshots()).extracting(SnapshotInfo::id).contains(published);
                String local = b.localSnapshotOf(published);
                MachineImage ami = cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("from-ceph", null, local,
                        VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of()));
                Instance instance = cloud.runInstance(OWNER, REGION, ami.imageId(), "t3.micro", null);
                assertThat(instance.lastBoot().result()).isEqualTo("halted");
                assertThat(instance.lastBoot().console()).contains("kept=on-ceph");
            }
        }
    }
}
