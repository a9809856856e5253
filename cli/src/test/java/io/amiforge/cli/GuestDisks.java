package io.amiforge.cli;

import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.qcow2.Qcow2Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Disks a guest could have written: raw bytes that look like an image file. */
public final class GuestDisks {

    private GuestDisks() {
    }

    /**
     * Writes {@code disk}: 2 MiB that start with a whole qcow2 image (header and tables) naming
     * {@code backing} as its raw backing file, as a guest can write to its own disk, then random
     * bytes. Returns the bytes written.
     */
    public static byte[] withQcow2Header(Path disk, String backing) throws Exception {
        Path header = disk.resolveSibling(disk.getFileName() + ".header.qcow2");
        Qcow2Writer.create(header, 1 << 20, CreateOptions.defaults().withBacking(backing, "raw")).close();
        byte[] bytes = new byte[2 << 20];
        new Random(7).nextBytes(bytes);
        byte[] first = Files.readAllBytes(header);
        System.arraycopy(first, 0, bytes, 0, first.length);
        Files.delete(header);
        Files.write(disk, bytes);
        return bytes;
    }
}
