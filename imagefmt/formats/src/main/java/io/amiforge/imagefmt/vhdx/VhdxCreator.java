package io.amiforge.imagefmt.vhdx;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.HostFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;

/**
 * Writes a new, empty dynamic VHDX ([MS-VHDX] 2.2) laid out as qemu-img lays it out: the file
 * type identifier (creator "amiforge") at 0, the two headers at 64 and 128 KiB (CRC-32C, an
 * empty 1 MiB log at 1 MiB), the two region tables at 192 and 256 KiB, the metadata region at
 * 2 MiB (file parameters, virtual disk size, logical sector size 512, physical sector size
 * 4096, disk id, and for a differencing disk the HasParent flag and the parent locator) and the
 * BAT at 3 MiB, every entry "not present". Blocks are appended after it.
 */
final class VhdxCreator {

    /** qemu-img's default block size for disks that are not huge. */
    static final int DEFAULT_BLOCK_SIZE = 32 << 20;
    /** Hyper-V's block size for differencing disks: a small write copies nothing, but smaller blocks waste less. */
    static final int DIFFERENCING_BLOCK_SIZE = 2 << 20;
    static final int LOGICAL_SECTOR = 512;
    private static final int MIB = 1 << 20;
    private static final long LOG_OFFSET = MIB;
    private static final long METADATA_OFFSET = 2L * MIB;
    private static final long BAT_OFFSET = 3L * MIB;
    private static final long MAX_SIZE = 64L << 40;

    private VhdxCreator() {
    }

    /** Creates {@code path}: a differencing disk when {@code parent} (its locator) is not null. */
    static void create(Path path, long size, int blockSize, VhdxParentLocator parent) {
        if (size < 0 || size % LOGICAL_SECTOR != 0 || size > MAX_SIZE) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": size " + size + " is not a multiple of 512 up to 64 TiB (VHDX's limit)");
        }
        long entries = new VhdxMetadata(blockSize, parent != null, size, LOGICAL_SECTOR, null, parent).batEntries();
        long batLength = Math.max(MIB, (entries * 8 + MIB - 1) & -(long) MIB);
        try (HostFile file = HostFile.create(path)) {
            file.write(0, identifier());
            UUID fileWrite = UUID.randomUUID();
            UUID dataWrite = UUID.randomUUID();
            file.write(VhdxHeader.FIRST, header(0, fileWrite, dataWrite));
            file.write(VhdxHeader.SECOND, header(1, fileWrite, dataWrite));
            ByteBuffer regions = regions(batLength);
            file.write(VhdxRegions.FIRST, regions.duplicate());
            file.write(VhdxRegions.SECOND, regions.duplicate());
            file.write(METADATA_OFFSET, metadata(size, blockSize, parent));
            file.truncate(BAT_OFFSET + batLength); // the BAT: all zeros, every block not present
        }
    }

    private static ByteBuffer identifier() {
        ByteBuffer b = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
        b.put("vhdxfile".getBytes(StandardCharsets.US_ASCII));
        b.put("amiforge".getBytes(StandardCharsets.UTF_16LE));
        return b.rewind();
    }

    private static ByteBuffer header(long sequence, UUID fileWrite, UUID dataWrite) {
        ByteBuffer b = ByteBuffer.allocate(VhdxHeader.SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x64616568); // "head"
        b.putLong(8, sequence);
        Guids.write(b, 16, fileWrite);
        Guids.write(b, 32, dataWrite);
        // LogGuid (48) stays zero: the log is empty
        b.putShort(64, (short) 0).putShort(66, (short) 1).putInt(68, MIB).putLong(72, LOG_OFFSET);
        b.putInt(4, Checksums.crc32c(b, 4));
        return b.rewind();
    }

    private static ByteBuffer regions(long batLength) {
        ByteBuffer b = ByteBuffer.allocate(64 << 10).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 0x69676572).putInt(8, 2); // "regi", two entries
        Guids.write(b, 16, Guids.BAT);
        b.putLong(32, BAT_OFFSET).putInt(40, (int) batLength).putInt(44, 1);
        Guids.write(b, 48, Guids.METADATA);
        b.putLong(64, METADATA_OFFSET).putInt(72, MIB).putInt(76, 1);
        b.putInt(4, Checksums.crc32c(b, 4));
        return b.rewind();
    }

    private static ByteBuffer metadata(long size, int blockSize, VhdxParentLocator parent) {
        ByteBuffer b = ByteBuffer.allocate(MIB).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(0, 0x617461646174656dL).putShort(10, (short) (parent == null ? 5 : 6)); // "metadata", five or six items
        int data = 64 << 10;
        int required = 4;
        int virtualDisk = 2;
        item(b, 0, Guids.FILE_PARAMETERS, data, 8, required);
        b.putInt(data, blockSize).putInt(data + 4, parent == null ? 0 : 2); // bit 1: HasParent
        item(b, 1, Guids.VIRTUAL_DISK_SIZE, data + 8, 8, required | virtualDisk);
        b.putLong(data + 8, size);
        item(b, 2, Guids.LOGICAL_SECTOR_SIZE, data + 16, 4, required | virtualDisk);
        b.putInt(data + 16, LOGICAL_SECTOR);
        item(b, 3, Guids.PHYSICAL_SECTOR_SIZE, data + 20, 4, required | virtualDisk);
        b.putInt(data + 20, 4096);
        item(b, 4, Guids.VIRTUAL_DISK_ID, data + 24, 16, required | virtualDisk);
        Guids.write(b, data + 24, UUID.randomUUID());
        if (parent != null) {
            ByteBuffer locator = parent.encode();
            item(b, 5, Guids.PARENT_LOCATOR, data + 40, locator.limit(), required);
            b.put(data + 40, locator, 0, locator.limit());
        }
        return b.rewind();
    }

    private static void item(ByteBuffer b, int index, UUID id, int offset, int length, int flags) {
        int e = 32 + 32 * index;
        Guids.write(b, e, id);
        b.putInt(e + 16, offset).putInt(e + 20, length).putInt(e + 24, flags);
    }
}
