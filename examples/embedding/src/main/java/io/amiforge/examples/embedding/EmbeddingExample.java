package io.amiforge.examples.embedding;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.boot.image.ImageBooter;
import io.amiforge.imagefmt.build.ImageBuilder;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.transfer.ChainImporter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * amiforge as a library, start to finish: a directory tree becomes a bootable HVM disk image,
 * the image becomes a volume in a snapshot store, the volume is snapshotted, and the snapshot
 * (not the image file) is booted in the simulator. The image carries amiforge's tiny kernel,
 * so a good boot hands off to the kernel, whose setup code prints a banner and halts: the
 * report's result is {@code halted} and its kernel is {@code amiforge-tiny ...}.
 *
 * <pre>{@code java -cp ... io.amiforge.examples.embedding.EmbeddingExample [WORK_DIR]}</pre>
 */
public final class EmbeddingExample {

    /** What the run made: the snapshot it booted and the boot's report. */
    public record Outcome(SnapshotInfo snapshot, BootReport boot) {
    }

    private static final long IMAGE_SIZE = 32L << 20;
    private static final long INSTRUCTION_BUDGET = 200_000_000L;
    private static final long GUEST_MEMORY = 64L << 20;

    private EmbeddingExample() {
    }

    /** Runs the example in {@code work} (which must be empty or absent) and prints what happened. */
    public static Outcome run(Path work, PrintStream out) throws IOException {
        Path rootfs = work.resolve("rootfs");
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/hostname"), "embedded\n");

        Path image = work.resolve("disk.raw");
        ImageBuilder.from(rootfs).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(TinyKernel.bzImage()).cmdline("console=ttyS0 root=/dev/xvda1 ro")
                .bootCode(new AmiforgeBootChain()).buildRaw(image, IMAGE_SIZE);
        out.println("built " + image + " (" + (IMAGE_SIZE >> 20) + " MiB, MBR, ext2, HVM boot chain)");

        try (SnapshotStore store = SnapshotStore.open(work.resolve("store"))) {
            ChainImporter.Result imported = ChainImporter.importImage(store, "web", image);
            SnapshotInfo base = imported.snapshots().getLast();
            out.println("imported as volume " + imported.volumeName() + " over " + base.id() + " (" + base.blockCount()
                    + " blocks of " + base.blockSize() + " bytes stored, the rest is sparse)");
            SnapshotInfo snapshot = store.createSnapshot(imported.volumeName(), "embedding example");
            out.println("snapshot " + snapshot.id() + " of " + snapshot.volumeName() + ", parent " + snapshot.parentId()
                    + ", " + snapshot.blockCount() + " blocks changed since");

            BootReport boot;
            try (BlockDevice disk = store.openSnapshot(snapshot.id())) {
                boot = ImageBooter.hvm(disk, INSTRUCTION_BUDGET, GUEST_MEMORY);
            }
            out.println("boot: " + boot.result().wireName() + " after " + boot.instructions() + " instructions");
            if (boot.kernel() != null) {
                out.println("kernel: " + boot.kernel().version() + ", command line \"" + boot.kernel().cmdline() + "\"");
            }
            out.println("console:");
            boot.console().strip().lines().forEach(line -> out.println("  | " + line));
            return new Outcome(snapshot, boot);
        }
    }

    /** Runs in {@code args[0]}, or in a new temporary directory; exits 1 unless the boot reached the kernel. */
    public static void main(String[] args) throws IOException {
        Path work = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("amiforge-embedding-");
        BootReport boot = run(work, System.out).boot();
        if (boot.kernel() == null) {
            System.err.println("the snapshot did not boot to a kernel: " + boot.result().wireName()
                    + (boot.error() == null ? "" : ": " + boot.error()));
            System.exit(1);
        }
    }
}
