package io.amiforge.imagefmt.sparse;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** qemu-img as the outside truth for the VHD, VMDK and VHDX interop tests. */
public final class QemuImg {

    private QemuImg() {
    }

    /** Runs {@code qemu-img args...} in {@code dir}. */
    public static Processes.Result run(Path dir, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Interop.tool("qemu-img").toString());
        command.addAll(Arrays.asList(args));
        return Processes.run(dir, command);
    }

    /** A raw file of {@code size} bytes with random data in scattered regions (some compressible) and holes elsewhere. */
    public static Path patternRaw(Path file, long size, long seed) throws IOException {
        Random random = new Random(seed);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < 24; i++) {
                int length = 1 + random.nextInt(300_000);
                long offset = (long) (random.nextDouble() * (size - length));
                byte[] data = new byte[length];
                random.nextBytes(data);
                if (i % 5 == 0) {
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

    /** What qemu-img reads from {@code image} in {@code format}, converted to a raw file beside it. */
    public static Path toRaw(Path image, String format) {
        Path out = image.resolveSibling(image.getFileName() + ".qemu.raw");
        run(image.getParent(), "convert", "-f", format, "-O", "raw", image.toString(), out.toString()).orFail();
        return out;
    }

    /** Asserts that qemu-img reads {@code image} (in {@code format}) as exactly the raw file {@code raw}. */
    public static void compare(Path image, String format, Path raw) {
        Processes.Result r = run(image.getParent(), "compare", "-f", format, "-F", "raw", image.toString(), raw.toString());
        assertThat(r.exitCode()).as("qemu-img compare %s %s:\n%s", image, raw, r.output()).isZero();
    }

    /** Asserts that {@code qemu-img check} finds no error in {@code image}. */
    public static void check(Path image, String format) {
        Processes.Result r = run(image.getParent(), "check", "-f", format, image.toString());
        assertThat(r.exitCode()).as("qemu-img check %s:\n%s", image, r.output()).isZero();
        assertThat(r.output()).as("qemu-img check output").contains("No errors were found");
    }

    /** Asserts that {@code device} reads exactly the bytes of raw file {@code expected}. */
    public static void assertSameContent(BlockDevice device, Path expected) throws IOException {
        long size = Files.size(expected);
        assertThat(device.size()).as("virtual size").isEqualTo(size);
        int chunk = 1 << 20;
        byte[] ours = new byte[chunk];
        ByteBuffer theirs = ByteBuffer.allocate(chunk);
        try (FileChannel channel = FileChannel.open(expected)) {
            for (long pos = 0; pos < size; pos += chunk) {
                int n = (int) Math.min(chunk, size - pos);
                device.read(pos, MemorySegment.ofArray(ours).asSlice(0, n));
                theirs.clear().limit(n);
                while (theirs.hasRemaining() && channel.read(theirs, pos + theirs.position()) > 0) {
                    // fill
                }
                int mismatch = Arrays.mismatch(ours, 0, n, theirs.array(), 0, n);
                if (mismatch >= 0) {
                    throw new AssertionError("content differs at guest offset " + (pos + mismatch)
                            + ": ours 0x" + Integer.toHexString(ours[mismatch] & 0xff)
                            + ", expected 0x" + Integer.toHexString(theirs.get(mismatch) & 0xff));
                }
            }
        }
    }

    /**
     * Applies 60 seeded random writes (some of several MiB, some discards) to {@code device} and
     * the same bytes to the raw file {@code model}, so that both must read the same afterwards.
     */
    public static void scribble(BlockDevice device, Path model, long seed) throws IOException {
        Random random = new Random(seed);
        long size = device.size();
        try (FileChannel c = FileChannel.open(model, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            c.truncate(0);
            c.write(ByteBuffer.wrap(new byte[1]), size - 1);
            for (int i = 0; i < 60; i++) {
                byte[] data = new byte[1 + random.nextInt(i % 8 == 0 ? 3 << 20 : 70_000)];
                random.nextBytes(data);
                long offset = (long) (random.nextDouble() * (size - data.length));
                if (i % 6 == 5) {
                    device.discard(offset, data.length);
                    data = new byte[data.length];
                } else {
                    device.write(offset, MemorySegment.ofArray(data));
                }
                c.write(ByteBuffer.wrap(data), offset);
            }
        }
    }

    /** Overwrites {@code bytes} at {@code offset} of {@code file}. */
    public static void poke(Path file, long offset, byte... bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes), offset);
        }
    }
}
