package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** qemu-img / qemu-io helpers for interop tests: the outside truth for qcow2. */
final class Qemu {

    private Qemu() {
    }

    static Processes.Result img(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Interop.tool("qemu-img").toString());
        command.addAll(Arrays.asList(args));
        return Processes.run(dir, command);
    }

    static Processes.Result io(Path dir, Path image, String format, String... commands) {
        List<String> command = new ArrayList<>();
        command.add(Interop.tool("qemu-io").toString());
        command.add("-f");
        command.add(format);
        for (String c : commands) {
            command.add("-c");
            command.add(c);
        }
        command.add(image.toString());
        return Processes.run(dir, command);
    }

    /** A raw file with random data in scattered regions and zeros (holes) elsewhere. */
    static Path patternRaw(Path file, long size, long seed) throws IOException {
        Random random = new Random(seed);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.truncate(0);
            int regions = 24;
            for (int i = 0; i < regions; i++) {
                long length = 1 + random.nextInt(300_000);
                long offset = (long) (random.nextDouble() * (size - length));
                byte[] data = new byte[(int) length];
                random.nextBytes(data);
                if (i % 5 == 0) { // some compressible data too
                    Arrays.fill(data, 0, data.length / 2, (byte) 'a');
                }
                channel.write(ByteBuffer.wrap(data), offset);
            }
            if (channel.size() < size) {
                channel.write(ByteBuffer.wrap(new byte[] {7}), size - 1);
            }
        }
        return file;
    }

    /** What qemu-img reads from {@code image}: converted to raw beside it. */
    static Path qemuRaw(Path image) {
        Path out = image.resolveSibling(image.getFileName() + ".qemu.raw");
        img(image.getParent(), "convert", "-O", "raw", image.toString(), out.toString()).orFail();
        return out;
    }

    /** Asserts that {@code device} reads exactly the bytes of raw file {@code expected}. */
    static void assertSameContent(BlockDevice device, Path expected) throws IOException {
        io.amiforge.imagefmt.sparse.QemuImg.assertSameContent(device, expected);
    }

    static void check(Path image) {
        Processes.Result r = img(image.getParent(), "check", image.toString());
        assertThat(r.exitCode()).as("qemu-img check %s:\n%s", image, r.output()).isZero();
        assertThat(r.output()).as("qemu-img check output").contains("No errors were found");
        assertThat(r.output()).doesNotContain("leaked");
    }

    static void compare(Path a, Path b) {
        Processes.Result r = img(a.getParent(), "compare", a.toString(), b.toString());
        assertThat(r.exitCode()).as("qemu-img compare %s %s:\n%s", a, b, r.output()).isZero();
    }

    /** Random writes (partial clusters, cluster-crossing, zeros, discards) applied to a device and a raw model. */
    static void scribble(BlockDevice device, Path model, long seed) throws Exception {
        Random random = new Random(seed);
        try (FileChannel channel = FileChannel.open(model, StandardOpenOption.WRITE)) {
            for (int i = 0; i < 120; i++) {
                int length = 1 + random.nextInt(i % 10 == 0 ? 3 << 20 : 70_000);
                long offset = (long) (random.nextDouble() * (device.size() - length));
                byte[] data = new byte[length];
                if (i % 7 == 3) {
                    device.discard(offset, length);
                } else {
                    if (i % 9 != 4) {
                        random.nextBytes(data);
                    }
                    device.write(offset, MemorySegment.ofArray(data));
                }
                channel.write(ByteBuffer.wrap(data), offset);
            }
        }
    }
}
