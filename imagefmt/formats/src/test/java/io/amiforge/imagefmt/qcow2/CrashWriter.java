package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Child process for {@link Qcow2KillTest}: creates the image (or opens the one a killed writer
 * left), then makes the writes {@link #next} draws from {@code new Random(streamSeed)}, flushing
 * after every {@link #FLUSH_EVERY} of them and printing {@code flushed I} once writes 0..I are
 * flushed, until killed. The parent draws the same writes from the same seed.
 */
public final class CrashWriter {

    static final long SIZE = 16L << 20;
    static final int FLUSH_EVERY = 8;
    static final int MAX_WRITE = 70_000;

    private CrashWriter() {
    }

    /** One write: {@code data} at {@code offset}. */
    record Write(long offset, byte[] data) {
    }

    /** The next write of a stream; parent and child call this in the same order on equally seeded Randoms. */
    static Write next(Random random) {
        byte[] data = new byte[1 + random.nextInt(MAX_WRITE)];
        long offset = random.nextLong(SIZE - data.length + 1);
        random.nextBytes(data);
        return new Write(offset, data);
    }

    public static void main(String[] args) {
        Path image = Path.of(args[0]);
        Random random = new Random(Long.parseLong(args[1]));
        try (BlockDevice device = Files.exists(image) ? ImageFormats.open(image, false)
                : ImageFormats.create(image, "qcow2", SIZE, CreateOptions.defaults().withClusterSize(4096))) {
            for (long i = 0; ; i++) {
                Write w = next(random);
                device.write(w.offset(), MemorySegment.ofArray(w.data()));
                if (i % FLUSH_EVERY == FLUSH_EVERY - 1) {
                    device.flush();
                    System.out.println("flushed " + i);
                    System.out.flush();
                }
            }
        }
    }
}
