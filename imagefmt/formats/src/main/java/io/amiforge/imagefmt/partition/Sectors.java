package io.amiforge.imagefmt.partition;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Sector-sized reads and writes as little-endian {@link ByteBuffer}s (tables are small and rare). */
final class Sectors {

    static final int SIZE = 512;

    private Sectors() {
    }

    static ByteBuffer read(BlockDevice disk, long lba, int count) {
        byte[] bytes = new byte[Math.multiplyExact(count, SIZE)];
        disk.read(Math.multiplyExact(lba, SIZE), MemorySegment.ofArray(bytes));
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static void write(BlockDevice disk, long lba, byte[] bytes) {
        disk.write(Math.multiplyExact(lba, SIZE), MemorySegment.ofArray(bytes));
    }

    static long count(BlockDevice disk) {
        return disk.size() / SIZE;
    }
}
