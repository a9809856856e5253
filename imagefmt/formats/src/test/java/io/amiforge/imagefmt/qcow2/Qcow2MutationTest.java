package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.sparse.Mutations;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Mutates valid images (random byte flips in the header and metadata) and checks that every
 * outcome of open, read, write and flush is either a clean {@link AmiforgeException} or
 * success, within a time limit per try; and, where qemu-img also reads the mutated image, that
 * our read equals qemu's. It needs qemu-img and qemu-io (through {@link Interop}: skipped with a
 * message without them, failed under {@code AMIFORGE_REQUIRE_INTEROP=1}).
 */
@Tag("interop")
class Qcow2MutationTest {

    private static Path dir;
    private static String qemuImg;
    private static Path base;
    private static Path top;
    private static Path qemuImage;
    private static Path qemuNarrow;

    @BeforeContainer
    static void images() throws IOException {
        // in the container hook, not the property: jqwik counts a try that skips as a rejection
        qemuImg = Interop.tool("qemu-img").toString();
        String qemuIo = Interop.tool("qemu-io").toString();
        dir = Files.createTempDirectory("qcow2-mutations");
        base = dir.resolve("base.qcow2");
        Random random = new Random(1);
        try (BlockDevice device = ImageFormats.create(base, "qcow2", 1 << 20,
                CreateOptions.defaults().withClusterSize(512).withCompat("0.10"))) {
            byte[] data = new byte[300_000];
            random.nextBytes(data);
            device.write(12_345, MemorySegment.ofArray(data));
        }
        top = dir.resolve("top.qcow2");
        try (BlockDevice device = ImageFormats.create(top, "qcow2", 2 << 20,
                CreateOptions.defaults().withClusterSize(4096).withBacking("base.qcow2", "qcow2"))) {
            byte[] data = new byte[50_000];
            random.nextBytes(data);
            device.write(100_000, MemorySegment.ofArray(data));
            device.write(1_500_000, MemorySegment.ofArray(data));
            device.discard(200_000, 100_000);
        }
        Path raw = dir.resolve("pattern.raw");
        Qemu.patternRaw(raw, 2 << 20, 5);
        qemuImage = dir.resolve("compressed.qcow2");
        Processes.run(List.of(qemuImg, "convert", "-c", "-O", "qcow2", "-o", "cluster_size=16k,extended_l2=on",
                raw.toString(), qemuImage.toString())).orFail();
        qemuNarrow = dir.resolve("narrow.qcow2");
        Processes.run(List.of(qemuImg, "convert", "-O", "qcow2", "-o", "cluster_size=4k,refcount_bits=1",
                raw.toString(), qemuNarrow.toString())).orFail();
        Processes.run(List.of(qemuIo, "-f", "qcow2", "-c", "write -z 64k 128k",
                qemuNarrow.toString())).orFail();
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        Mutations.deleteTree(dir);
    }

    @Property(tries = 150)
    void mutatedImagesFailCleanlyOrReadCorrectly(@ForAll long seed) throws Exception {
        Random random = new Random(seed);
        Path source = switch (Math.floorMod(seed, 4)) {
            case 0 -> top;
            case 1 -> base;
            case 2 -> qemuNarrow;
            default -> qemuImage;
        };
        Path mutated = dir.resolve("m-" + Long.toHexString(seed) + ".qcow2");
        Files.copy(source, mutated, StandardCopyOption.REPLACE_EXISTING);
        mutate(mutated, random); // a mutated copy of top still has the unmutated base below it
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> exercise(mutated, random));
        } finally {
            Files.deleteIfExists(mutated);
            Files.deleteIfExists(dir.resolve(mutated.getFileName() + ".qemu.raw"));
        }
    }

    private static void mutate(Path file, Random random) throws IOException {
        long size = Files.size(file);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            int flips = 1 + random.nextInt(6);
            for (int i = 0; i < flips; i++) {
                long offset = random.nextInt(10) < 6 ? random.nextInt(112) : (long) (random.nextDouble() * Math.min(size, 96 * 1024));
                Mutations.flip(channel, random, offset);
            }
        }
    }

    private static void exercise(Path file, Random random) {
        byte[] ours = null;
        try (BlockDevice device = ImageFormats.open(file, true, 8)) {
            long n = Math.min(device.size(), 4 << 20);
            ours = new byte[(int) n];
            device.read(0, MemorySegment.ofArray(ours));
            if (device.size() > n) {
                device.read(device.size() - 4096, MemorySegment.ofArray(new byte[4096]));
            }
            if (device.size() != n) {
                ours = null;
            }
        } catch (AmiforgeException expected) {
            ours = null;
        }
        if (ours != null) {
            compareWithQemu(file, ours);
        }
        boolean cleanBefore = qemuCheckClean(file);
        boolean wrote = false;
        try (BlockDevice device = ImageFormats.open(file, false, 8)) {
            if (!device.isReadOnly() && device.size() > 0) {
                wrote = true;
                byte[] data = new byte[(int) Math.min(device.size(), 10_000)];
                random.nextBytes(data);
                long offset = (long) (random.nextDouble() * (Math.min(device.size(), 4 << 20) - data.length));
                device.write(offset, MemorySegment.ofArray(data));
                device.flush();
            }
        } catch (AmiforgeException expected) {
            // a clean failure is an acceptable outcome for a damaged image
            wrote = false;
        }
        if (cleanBefore && wrote) {
            // An image qemu-img finds consistent stays consistent after our writes.
            Processes.Result r = Processes.run(List.of(qemuImg, "check", file.toString()));
            assertThat(r.exitCode()).as("qemu-img check after our write to %s:\n%s", file.getFileName(), r.output()).isZero();
        }
    }

    private static boolean qemuCheckClean(Path file) {
        return Processes.run(List.of(qemuImg, "check", file.toString())).exitCode() == 0;
    }

    private static void compareWithQemu(Path file, byte[] ours) {
        Path raw = file.resolveSibling(file.getFileName() + ".qemu.raw");
        Processes.Result r = Processes.run(List.of(qemuImg, "convert", "-O", "raw", file.toString(), raw.toString()));
        if (r.exitCode() != 0) {
            return; // qemu refuses the image; our successful read is not checked further
        }
        try {
            byte[] theirs = Files.readAllBytes(raw);
            int mismatch = Arrays.mismatch(ours, theirs);
            assertThat(mismatch).as("%s: first byte where our read differs from qemu-img's (sizes %d vs %d)", file.getFileName(),
                    ours.length, theirs.length).isEqualTo(-1);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
