package io.amiforge.imagefmt.sparse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/** What the image mutation tests share: damaging one byte of a file, and removing their scratch directory. */
public final class Mutations {

    private Mutations() {
    }

    /**
     * Damages the byte at {@code offset}: one of its bits flipped, or (half the time) a random
     * value; returns {@code "0xOFFSET=VALUE"} for the failure message.
     */
    public static String flip(FileChannel channel, Random random, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(1);
        channel.read(b, offset);
        byte value = random.nextBoolean() ? (byte) (b.get(0) ^ (1 << random.nextInt(8))) : (byte) random.nextInt(256);
        channel.write(ByteBuffer.wrap(new byte[] {value}), offset);
        return String.format("0x%x=%02x", offset, value & 0xff);
    }

    /** Deletes {@code dir} and everything in it; nothing if it is null (a test skipped before making it). */
    public static void deleteTree(Path dir) throws IOException {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
