package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.objects.ObjectStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * One packed layer object as a reader sees it: its index (block, data slot, CRC32C) held in
 * memory, sorted by block, and its block data read lazily through the {@link ChunkCache}. Every
 * block read is checked against its CRC32C; a mismatch drops the cached chunk and reads the block
 * again from the object store, and a second mismatch is {@code CorruptData} naming the object
 * key and byte offset: damaged data is never returned. Immutable after {@link #load}; thread-safe.
 */
final class RemoteLayer {

    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    final String key;
    final int objectId;
    final long objectSize;
    final int blockSize;
    private final long dataOffset;
    private final long[] blocks;
    private final int[] slots;
    private final int[] crcs;
    private final ObjectStore objects;
    private final ChunkCache cache;

    private RemoteLayer(String key, int objectId, long objectSize, PackFormat.Header header, long[] blocks, int[] slots, int[] crcs,
            ObjectStore objects, ChunkCache cache) {
        this.key = key;
        this.objectId = objectId;
        this.objectSize = objectSize;
        this.blockSize = header.blockSize();
        this.dataOffset = header.dataOffset();
        this.blocks = blocks;
        this.slots = slots;
        this.crcs = crcs;
        this.objects = objects;
        this.cache = cache;
    }

    /** Reads and checks the header and index of object {@code key} ({@code objectSize} bytes) through the cache. */
    static RemoteLayer load(ObjectStore objects, ChunkCache cache, int objectId, String key, long objectSize) {
        String where = objects.describe() + " object " + key;
        if (objectSize < PackFormat.HEADER + PackFormat.TRAILER) {
            throw new BlockDeviceException.Corrupt(where + ": " + objectSize + " bytes is too short for a packed layer");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment head = arena.allocate(PackFormat.HEADER);
            cache.read(objectId, key, objectSize, 0, head);
            PackFormat.Header h = PackFormat.Header.parse(head.asByteBuffer(), objectSize, where);
            int n = (int) h.entries();
            ByteBuffer index = ByteBuffer.allocate(n * PackFormat.ENTRY).order(ByteOrder.LITTLE_ENDIAN);
            MemorySegment into = MemorySegment.ofBuffer(index);
            long pos = 0;
            int chunk = cache.chunkSize();
            while (pos < into.byteSize()) {
                long at = PackFormat.HEADER + pos;
                long len = Math.min(into.byteSize() - pos, chunk - (at & (chunk - 1)));
                cache.read(objectId, key, objectSize, at, into.asSlice(pos, len));
                pos += len;
            }
            CRC32C crc = new CRC32C();
            crc.update(index.duplicate());
            if ((int) crc.getValue() != h.indexCrc()) {
                cache.invalidate(objectId, 0);
                throw new BlockDeviceException.Corrupt(where + ": byte " + PackFormat.HEADER + ": index checksum mismatch (stored CRC32C "
                        + Integer.toHexString(h.indexCrc()) + ", index has " + Integer.toHexString((int) crc.getValue()) + ")");
            }
            long[] blocks = new long[n];
            int[] slots = new int[n];
            int[] crcs = new int[n];
            long maxBlock = h.volumeSize() / h.blockSize();
            for (int i = 0; i < n; i++) {
                blocks[i] = index.getLong();
                slots[i] = index.getInt();
                crcs[i] = index.getInt();
                if (blocks[i] < 0 || blocks[i] >= maxBlock || (i > 0 && blocks[i] <= blocks[i - 1])
                        || (slots[i] != PackFormat.ZERO_SLOT && Integer.toUnsignedLong(slots[i]) >= h.dataBlocks())) {
                    throw new BlockDeviceException.Corrupt(where + ": byte " + (PackFormat.HEADER + (long) i * PackFormat.ENTRY)
                            + ": index entry " + i + " (block " + blocks[i] + ", slot " + slots[i] + ") is out of order or out of range");
                }
            }
            return new RemoteLayer(key, objectId, objectSize, h, blocks, slots, crcs, objects, cache);
        }
    }

    /** The index position of {@code block}, or a negative number when this layer does not hold it. */
    int find(long block) {
        return java.util.Arrays.binarySearch(blocks, block);
    }

    int entries() {
        return blocks.length;
    }

    long block(int entry) {
        return blocks[entry];
    }

    /** The layer's blocks, ascending. */
    long[] blocks() {
        return blocks.clone();
    }

    /** Reads the block of index position {@code entry} into {@code dst} (exactly one block), checked. */
    void read(int entry, MemorySegment dst) {
        int slot = slots[entry];
        if (slot == PackFormat.ZERO_SLOT) {
            dst.fill((byte) 0);
            return;
        }
        long offset = dataOffset + Integer.toUnsignedLong(slot) * blockSize;
        cache.read(objectId, key, objectSize, offset, dst);
        int have = crc(dst);
        if (have == crcs[entry]) {
            return;
        }
        cache.invalidate(objectId, offset); // a damaged chunk: fetch the block itself once more
        objects.read(key, offset, dst.asByteBuffer());
        have = crc(dst);
        if (have != crcs[entry]) {
            throw corrupt(entry, offset, have);
        }
    }

    BlockDeviceException.Corrupt corrupt(int entry, long offset, int have) {
        return new BlockDeviceException.Corrupt(objects.describe() + " object " + key + ": byte offset " + offset + " (block "
                + blocks[entry] + ") is damaged (stored CRC32C " + Integer.toHexString(crcs[entry]) + ", data has "
                + Integer.toHexString(have) + ")");
    }

    /** The stored CRC32C of entry {@code entry} and where its data lies (-1 for a zero block), for verify. */
    int crcOf(int entry) {
        return crcs[entry];
    }

    long dataOffsetOf(int entry) {
        return slots[entry] == PackFormat.ZERO_SLOT ? -1 : dataOffset + Integer.toUnsignedLong(slots[entry]) * blockSize;
    }

    static int crc(MemorySegment block) {
        CRC32C crc = CRC.get();
        crc.reset();
        crc.update(block.asByteBuffer());
        return (int) crc.getValue();
    }
}
