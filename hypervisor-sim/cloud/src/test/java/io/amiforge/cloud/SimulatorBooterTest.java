package io.amiforge.cloud;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.boot.pv.TinyPvKernel;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.transfer.ChainImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real boots through the cloud: images built by the image builder, launched, booted by the simulator. */
class SimulatorBooterTest {

    static final String OWNER = "111122223333";
    static final String REGION = "us-east-1";

    @TempDir
    Path dir;

    private String snapshotOf(Cloud cloud, String name, ImageBuilder builder) throws Exception {
        Path image = dir.resolve(name + ".raw");
        builder.buildRaw(image, 32L << 20);
        ChainImporter.Result result = ChainImporter.importImage(cloud.store(REGION), name, image);
        SnapshotInfo snapshot = result.snapshots().getLast();
        return snapshot.id();
    }

    @Test
    void hvmAndPvImagesBootAndTheWrongPvGrubFlavourFailsAsOnEc2() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root/etc"));
        Files.writeString(root.resolve("hostname"), "booter-test\n");
        try (Cloud cloud = Cloud.open(dir.resolve("store"), new SimulatorBooter(50_000_000L))) {
            String hvmSnap = snapshotOf(cloud, "hvm", ImageBuilder.from(dir.resolve("root"))
                    .partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                    .kernel(TinyKernel.bzImage()).cmdline("console=ttyS0 booter=hvm").bootCode(new AmiforgeBootChain()));
            MachineImage hvm = cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("hvm-image", null, hvmSnap,
                    VirtualizationType.HVM, Architecture.X86_64, null, null, null, List.of()));
            Instance hvmInstance = cloud.runInstance(OWNER, REGION, hvm.imageId(), "t3.micro", null);
            assertThat(hvmInstance.lastBoot().result()).isEqualTo("halted");
            assertThat(hvmInstance.lastBoot().console()).contains("booter=hvm");

            String pvSnap = snapshotOf(cloud, "pv-partitioned", ImageBuilder.from(dir.resolve("root"))
                    .partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.PV)
                    .kernel(TinyPvKernel.elf("booter test")).cmdline("root=/dev/xvda1 booter=pv"));
            MachineImage pv = cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("pv-image", null, pvSnap,
                    VirtualizationType.PARAVIRTUAL, Architecture.X86_64, null, null, null, List.of()));
            assertThat(pv.kernelId()).as("a partitioned root gets the hd00 PV-GRUB")
                    .isEqualTo(PvGrubKernels.id(REGION, Architecture.X86_64, PvGrubKernels.Flavour.HD00));
            Instance pvInstance = cloud.runInstance(OWNER, REGION, pv.imageId(), "m1.small", null);
            assertThat(pvInstance.lastBoot().result()).isEqualTo("kernel-handoff");

            MachineImage wrong = cloud.registerImage(OWNER, REGION, new Cloud.RegisterRequest("pv-wrong-aki", null, pvSnap,
                    VirtualizationType.PARAVIRTUAL, Architecture.X86_64,
                    PvGrubKernels.id(REGION, Architecture.X86_64, PvGrubKernels.Flavour.HD0), null, null, List.of()));
            Instance wrongInstance = cloud.runInstance(OWNER, REGION, wrong.imageId(), "m1.small", null);
            assertThat(wrongInstance.lastBoot().result()).isEqualTo("failed");
            assertThat(wrongInstance.lastBoot().error()).contains("hd0", "partitioned", "hd00");
        }
    }
}
