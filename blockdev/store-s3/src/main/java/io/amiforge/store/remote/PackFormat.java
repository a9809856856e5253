package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDeviceException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * The packed layer: one immutable object holding one snapshot's layer.
 *
 * <pre>
 * header  64 bytes   magic "AMIPACK1", version, block size, volume size, entries, data blocks,
 *                    data offset, CRC32C of the index, CRC32C of the header's first 60 bytes
 * index   16 bytes an entry, ascending by block, no block twice:
 *                    block (8), data slot (4; 0xFFFFFFFF = the block is zero), CRC32C of the data (4)
 * data    slot * block size from the data offset (a multiple of the block size), in block order
 * trailer 16 bytes   magic "AMIPEND1", CRC32C of every byte before the trailer, 4 zero bytes
 * </pre>
 *
 * All numbers little-endian. A block's bytes never straddle a cache chunk, since the data offset
 * and chunks are multiples of the block size.
 */
final class PackFormat {

    static final long MAGIC = 0x314B434150494D41L; // "AMIPACK1"
    static final long END_MAGIC = 0x31444E4550494D41L; // "AMIPEND1"
    static final int VERSION = 1;
    static final int HEADER = 64;
    static final int ENTRY = 16;
    static final int TRAILER = 16;
    static final int ZERO_SLOT = -1;

    private PackFormat() {
    }

    /** Where the data starts for {@code entries} index entries. */
    static long dataOffset(long entries, int blockSize) {
        long end = HEADER + entries * ENTRY;
        return (end + blockSize - 1) / blockSize * blockSize;
    }

    /** The object's total size. */
    static long objectSize(long entries, long dataBlocks, int blockSize) {
        return dataOffset(entries, blockSize) + dataBlocks * blockSize + TRAILER;
    }

    static ByteBuffer header(int blockSize, long volumeSize, long entries, long dataBlocks, int indexCrc) {
        ByteBuffer b = ByteBuffer.allocate(HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(MAGIC).putInt(VERSION).putInt(blockSize).putLong(volumeSize).putLong(entries).putLong(dataBlocks)
                .putLong(dataOffset(entries, blockSize)).putLong(0).putInt(indexCrc);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 60);
        b.putInt((int) crc.getValue());
        return b.flip();
    }

    static ByteBuffer trailer(int wholeCrc) {
        ByteBuffer b = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(END_MAGIC).putInt(wholeCrc).putInt(0);
        return b.flip();
    }

    /** The whole-object CRC32C a trailer records; fails naming {@code where} if it is no trailer. */
    static int trailerCrc(ByteBuffer trailer, String where) {
        ByteBuffer b = trailer.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != TRAILER || b.getLong(b.position()) != END_MAGIC) {
            throw new BlockDeviceException.Corrupt(where + ": no packed-layer trailer in the last " + TRAILER + " bytes");
        }
        return b.getInt(b.position() + 8);
    }

    /** A parsed, checked header. */
    record Header(int blockSize, long volumeSize, long entries, long dataBlocks, long dataOffset, int indexCrc) {

        /** Parses and checks the header of an object of {@code objectSize} bytes; {@code where} names it in errors. */
        static Header parse(ByteBuffer raw, long objectSize, String where) {
            ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int at = b.position();
            if (b.remaining() < HEADER || b.getLong(at) != MAGIC) {
                throw new BlockDeviceException.Corrupt(where + ": byte 0: not a packed layer (magic 'AMIPACK1' missing)");
            }
            CRC32C crc = new CRC32C();
            crc.update(b.duplicate().position(at).limit(at + 60));
            if ((int) crc.getValue() != b.getInt(at + 60)) {
                throw new BlockDeviceException.Corrupt(where + ": byte 60: header checksum mismatch (stored CRC32C "
                        + Integer.toHexString(b.getInt(at + 60)) + ", header has " + Integer.toHexString((int) crc.getValue()) + ")");
            }
            int version = b.getInt(at + 8);
            if (version != VERSION) {
                throw new BlockDeviceException.Corrupt(where + ": byte 8: packed-layer version " + version + ", this amiforge reads "
                        + VERSION);
            }
            int blockSize = b.getInt(at + 12);
            long volumeSize = b.getLong(at + 16);
            long entries = b.getLong(at + 24);
            long dataBlocks = b.getLong(at + 32);
            long dataOffset = b.getLong(at + 40);
            if (blockSize < 512 || Integer.bitCount(blockSize) != 1 || entries < 0 || dataBlocks < 0 || dataBlocks > entries
                    || entries > Integer.MAX_VALUE || dataOffset != PackFormat.dataOffset(entries, blockSize)
                    || objectSize != objectSize(entries, dataBlocks, blockSize)) {
                throw new BlockDeviceException.Corrupt(where + ": byte 12: inconsistent header (block size " + blockSize
                        + ", " + entries + " entries, " + dataBlocks + " data blocks, data at " + dataOffset + ") for an object of "
                        + objectSize + " bytes");
            }
            return new Header(blockSize, volumeSize, entries, dataBlocks, dataOffset, b.getInt(at + 56));
        }
    }
}
