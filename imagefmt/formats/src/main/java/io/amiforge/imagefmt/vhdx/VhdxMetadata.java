package io.amiforge.imagefmt.vhdx;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.HostFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/**
 * The VHDX metadata items amiforge needs, from the metadata region ("metadata" table of items):
 * block size, whether the disk has a parent (and its locator), virtual size and logical sector
 * size. A required item of an unknown kind makes the file unreadable; a differencing disk
 * without a parent locator is corrupt.
 *
 * @param blockSize         payload block bytes, a power of two from 1 MiB to 256 MiB
 * @param hasParent         a differencing disk
 * @param virtualSize       guest bytes
 * @param logicalSectorSize 512 or 4096
 * @param diskId            the virtual disk's identity
 * @param parent            the parent locator of a differencing disk, else null
 */
record VhdxMetadata(int blockSize, boolean hasParent, long virtualSize, int logicalSectorSize, UUID diskId,
                    VhdxParentLocator parent) {

    private static final long SIGNATURE = 0x617461646174656dL; // "metadata"
    private static final int MAX_ENTRIES = 2047;

    static VhdxMetadata read(HostFile file, VhdxRegions regions) {
        long base = regions.metadataOffset();
        String name = file.name();
        ByteBuffer b = file.readStructure(base, regions.metadataLength(), "VHDX metadata region", ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < 32 || b.getLong(0) != SIGNATURE) {
            throw ImageFormatException.corrupt(name, "VHDX metadata table at file offset " + base + " has no 'metadata' signature");
        }
        int count = b.getShort(10) & 0xffff;
        if (count > MAX_ENTRIES || 32 + 32L * count > b.limit()) {
            throw ImageFormatException.field(name, "VHDX metadata table EntryCount", base + 10, count + " entries do not fit the region");
        }
        Integer blockSize = null;
        Boolean hasParent = null;
        Long size = null;
        Integer sector = null;
        UUID diskId = null;
        VhdxParentLocator parent = null;
        for (int i = 0; i < count; i++) {
            int e = 32 + 32 * i;
            UUID item = Guids.read(b, e);
            int offset = b.getInt(e + 16);
            int length = b.getInt(e + 20);
            boolean required = (b.getInt(e + 24) & 4) != 0;
            if (length != 0 && (offset < 64 << 10 || length < 0 || offset > b.limit() - length)) {
                throw ImageFormatException.field(name, "VHDX metadata entry " + i, base + e,
                        "item at region offset %d (%d bytes) lies outside the %d-byte region".formatted(offset, length, b.limit()));
            }
            if (item.equals(Guids.FILE_PARAMETERS)) {
                requireLength(name, base + e, "file parameters", length, 8);
                blockSize = b.getInt(offset);
                hasParent = (b.getInt(offset + 4) & 2) != 0;
            } else if (item.equals(Guids.VIRTUAL_DISK_SIZE)) {
                requireLength(name, base + e, "virtual disk size", length, 8);
                size = b.getLong(offset);
            } else if (item.equals(Guids.LOGICAL_SECTOR_SIZE)) {
                requireLength(name, base + e, "logical sector size", length, 4);
                sector = b.getInt(offset);
            } else if (item.equals(Guids.VIRTUAL_DISK_ID)) {
                requireLength(name, base + e, "virtual disk id", length, 16);
                diskId = Guids.read(b, offset);
            } else if (item.equals(Guids.PARENT_LOCATOR)) {
                parent = VhdxParentLocator.parse(name, b, offset, length, base);
            } else if (required && !item.equals(Guids.PHYSICAL_SECTOR_SIZE)) {
                throw ImageFormatException.unsupported(name, "VHDX metadata entry %d (file offset %d): required item %s is unknown"
                        .formatted(i, base + e, item));
            }
        }
        if (blockSize == null || size == null || sector == null) {
            throw ImageFormatException.corrupt(name, "VHDX metadata at file offset " + base + " lacks the "
                    + (blockSize == null ? "file parameters" : size == null ? "virtual disk size" : "logical sector size") + " item");
        }
        if (blockSize < (1 << 20) || blockSize > (256 << 20) || Integer.bitCount(blockSize) != 1) {
            throw ImageFormatException.corrupt(name, "VHDX block size " + blockSize + " is not a power of two from 1 MiB to 256 MiB");
        }
        if (sector != 512 && sector != 4096) {
            throw ImageFormatException.corrupt(name, "VHDX logical sector size " + sector + " is not 512 or 4096");
        }
        if (size < 0 || size % sector != 0 || size > (64L << 40)) {
            throw ImageFormatException.corrupt(name, "VHDX virtual disk size " + size + " is not a multiple of the sector size up to 64 TiB");
        }
        if (hasParent && parent == null) {
            throw ImageFormatException.corrupt(name, "VHDX metadata at file offset " + base
                    + " marks a differencing disk (HasParent) but has no parent locator item");
        }
        return new VhdxMetadata(blockSize, hasParent, size, sector, diskId, hasParent ? parent : null);
    }

    private static void requireLength(String name, long at, String item, int length, int expected) {
        if (length < expected) {
            throw ImageFormatException.field(name, "VHDX metadata " + item + " length", at + 20, length + " bytes, expected " + expected);
        }
    }

    /** Payload blocks per sector bitmap block: one BAT entry for a bitmap follows every this many. */
    long chunkRatio() {
        return (1L << 23) * logicalSectorSize / blockSize;
    }

    /**
     * BAT entries the disk needs: a differencing disk has a sector bitmap entry after every chunk,
     * the last one too; any other disk only between chunks ([MS-VHDX] 2.5).
     */
    long batEntries() {
        long payload = (virtualSize + blockSize - 1) / blockSize;
        if (hasParent) {
            return (payload + chunkRatio() - 1) / chunkRatio() * (chunkRatio() + 1);
        }
        return payload == 0 ? 0 : payload + (payload - 1) / chunkRatio();
    }
}
