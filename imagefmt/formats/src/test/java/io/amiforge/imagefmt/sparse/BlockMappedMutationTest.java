package io.amiforge.imagefmt.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.LayerLayout;
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
 * Mutates VMDK (monolithic sparse and stream-optimized), VHD and VHDX images that qemu-img made
 * (byte flips in their headers, tables and data, sometimes a cut end) and checks that opening,
 * reading, the allocation map and the {@link LayerLayout} either succeed or fail with a clean
 * {@link AmiforgeException}, within a time limit per try; that every run the layout stores
 * starts inside the file; and that where qemu-img also reads the mutated image, our read equals
 * qemu's. Needs qemu-img and qemu-io ({@link Interop}).
 */
@Tag("interop")
class BlockMappedMutationTest {

    private static final long SIZE = 8L << 20;

    private static Path dir;
    private static String qemuImg;
    private static List<Path> images;

    @BeforeContainer
    static void images() throws IOException {
        qemuImg = Interop.tool("qemu-img").toString();
        String qemuIo = Interop.tool("qemu-io").toString();
        dir = Files.createTempDirectory("block-mapped-mutations");
        Path source = dir.resolve("source.qcow2");
        Processes.run(List.of(qemuImg, "create", "-f", "qcow2", source.toString(), Long.toString(SIZE))).orFail();
        Processes.run(List.of(qemuIo, "-f", "qcow2", "-c", "write -P 0x5a 0 300k", "-c", "write -P 0x33 3M 64k",
                "-c", "write -P 0x77 6M 1M", source.toString())).orFail();
        images = List.of(convert(source, "vmdk", "sparse.vmdk"), convert(source, "vmdk", "stream.vmdk", "-o", "subformat=streamOptimized"),
                convert(source, "vpc", "dynamic.vhd"), convert(source, "vhdx", "dynamic.vhdx", "-o", "block_size=1M"));
    }

    private static Path convert(Path source, String format, String name, String... options) {
        Path out = dir.resolve(name);
        List<String> command = new java.util.ArrayList<>(List.of(qemuImg, "convert", "-O", format));
        command.addAll(List.of(options));
        command.addAll(List.of(source.toString(), out.toString()));
        Processes.run(command).orFail();
        return out;
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        Mutations.deleteTree(dir);
    }

    @Property(tries = 200)
    void mutatedImagesFailCleanlyOrReadAsQemuDoes(@ForAll long seed) throws Exception {
        Random random = new Random(seed);
        Path source = images.get(Math.floorMod(seed, images.size()));
        String name = source.getFileName().toString();
        Path mutated = dir.resolve("m-" + Long.toHexString(seed) + name.substring(name.indexOf('.')));
        Files.copy(source, mutated, StandardCopyOption.REPLACE_EXISTING);
        String what = mutate(mutated, random);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> exercise(mutated, name + " with " + what));
        } finally {
            Files.deleteIfExists(mutated);
            Files.deleteIfExists(dir.resolve(mutated.getFileName() + ".qemu.raw"));
        }
    }

    /** Flips bytes, most of them in the first 64 KiB (headers and tables); one try in eight also cuts the file. */
    private static String mutate(Path file, Random random) throws IOException {
        long size = Files.size(file);
        StringBuilder what = new StringBuilder();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            int flips = 1 + random.nextInt(6);
            for (int i = 0; i < flips; i++) {
                long offset = random.nextInt(10) < 7 ? random.nextInt((int) Math.min(size, 64 * 1024)) : (long) (random.nextDouble() * size);
                what.append(Mutations.flip(channel, random, offset)).append(' ');
            }
            if (random.nextInt(8) == 0) {
                long cut = (long) (random.nextDouble() * size);
                channel.truncate(cut);
                what.append("cut at ").append(cut);
            }
        }
        return what.toString();
    }

    private static void exercise(Path file, String what) throws IOException {
        byte[] ours;
        try (BlockDevice device = ImageFormats.open(file, true, 1)) {
            assertThat(device.size()).as(what).isBetween(0L, 1L << 40);
            ours = new byte[(int) Math.min(device.size(), 2 * SIZE)];
            device.read(0, MemorySegment.ofArray(ours));
            walk(device, file, what);
            if (device.size() != ours.length) {
                ours = null;
            }
        } catch (AmiforgeException expected) {
            return; // a clean failure is an acceptable outcome for a damaged image
        }
        if (ours != null) {
            compareWithQemu(file, ours, what);
        }
    }

    /** The allocation map and, where there is one, the layout: runs that tile the disk, offsets inside the file. */
    private static void walk(BlockDevice device, Path file, String what) throws IOException {
        long fileSize = Files.size(file);
        long pos = 0;
        while (pos < device.size()) {
            Extent e = AllocationStatus.of(device, pos, device.size() - pos);
            assertThat(e.offset()).as(what).isEqualTo(pos);
            pos = e.end();
        }
        if (!(device instanceof LayerLayout layout)) {
            return;
        }
        pos = 0;
        while (pos < device.size()) {
            Extent e = layout.ownExtentAt(pos, device.size() - pos);
            assertThat(e.offset()).as(what).isEqualTo(pos);
            if (e.kind() == Extent.Kind.DATA) {
                for (long at = pos; at < e.end(); ) {
                    long host = layout.hostOffset(at);
                    long run = layout.hostRunLength(at, e.end() - at);
                    assertThat(run).as(what).isPositive();
                    if (host >= 0) { // a run may go on past a cut end (it reads as zeros there), but it starts inside
                        assertThat(host).as("%s: guest %d+%d stored at 0x%x, past the file's end", what, at, run, host)
                                .isLessThan(fileSize);
                    }
                    at += run;
                }
            }
            pos = e.end();
        }
    }

    private static void compareWithQemu(Path file, byte[] ours, String what) throws IOException {
        Path raw = file.resolveSibling(file.getFileName() + ".qemu.raw");
        Processes.Result r = Processes.run(List.of(qemuImg, "convert", "-O", "raw", file.toString(), raw.toString()));
        if (r.exitCode() != 0) {
            return; // qemu refuses the image; our successful read is not checked further
        }
        byte[] theirs = Files.readAllBytes(raw);
        int mismatch = Arrays.mismatch(ours, theirs);
        assertThat(mismatch).as("%s: first byte where our read differs from qemu-img's (sizes %d vs %d)", what, ours.length,
                theirs.length).isEqualTo(-1);
    }
}
