package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Child process for {@link Qcow2KillTest}: creates an image, writes 2 MiB of 0x5a at 1 MiB,
 * flushes, prints {@code FLUSHED}, then writes random data everywhere else until killed.
 */
public final class CrashWriter {

    private CrashWriter() {
    }

    public static void main(String[] args) {
        Path image = Path.of(args[0]);
        try (BlockDevice device = ImageFormats.create(image, "qcow2", 64L << 20, CreateOptions.defaults().withClusterSize(4096))) {
            byte[] flushed = new byte[2 << 20];
            Arrays.fill(flushed, (byte) 0x5a);
            device.write(1 << 20, MemorySegment.ofArray(flushed));
            device.flush();
            System.out.println("FLUSHED");
            System.out.flush();
            Random random = new Random(1);
            byte[] data = new byte[70_000];
            for (long i = 0; ; i++) {
                random.nextBytes(data);
                long offset = (4L << 20) + (long) (random.nextDouble() * ((60L << 20) - data.length));
                device.write(offset, MemorySegment.ofArray(data));
                if (i % 50 == 0) {
                    device.flush();
                }
            }
        }
    }
}
