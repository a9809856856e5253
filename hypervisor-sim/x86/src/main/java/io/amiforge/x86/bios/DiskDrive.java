package io.amiforge.x86.bios;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * BIOS drive 0x80 over a {@link BlockDevice}, called directly and synchronously (a BIOS disk
 * read blocks the CPU until it is done): 512-byte sectors, the translated CHS
 * {@link DiskGeometry}, and a copy-on-write overlay so guest writes never reach the device
 * (bounded to {@link #MAX_OVERLAY_SECTORS}).
 */
public final class DiskDrive {

    public static final int SECTOR = 512;
    public static final int MAX_OVERLAY_SECTORS = 65536;

    private final BlockDevice device;
    private final DiskGeometry geometry;
    private final Map<Long, byte[]> overlay = new HashMap<>();

    public DiskDrive(BlockDevice device) {
        this.device = device;
        this.geometry = DiskGeometry.of(device.size() / SECTOR);
    }

    public DiskGeometry geometry() {
        return geometry;
    }

    /** Whole sectors of the device (a partial last sector is not addressable). */
    public long sectors() {
        return geometry.sectors();
    }

    public String name() {
        return device.name();
    }

    /** Reads one sector into the first 512 bytes of {@code dst}; false when the sector does not exist or the device fails. */
    public boolean read(long lba, byte[] dst) {
        return read(lba, dst, MemorySegment.ofArray(dst));
    }

    /**
     * As {@link #read(long, byte[])}, with {@code dstSegment} a segment over {@code dst} the
     * caller keeps, so a read allocates nothing.
     */
    boolean read(long lba, byte[] dst, MemorySegment dstSegment) {
        if (lba < 0 || lba >= geometry.sectors()) {
            return false;
        }
        byte[] o = overlay.isEmpty() ? null : overlay.get(lba);
        if (o != null) {
            System.arraycopy(o, 0, dst, 0, SECTOR);
            return true;
        }
        try {
            device.read(lba * SECTOR, dstSegment.byteSize() == SECTOR ? dstSegment : dstSegment.asSlice(0, SECTOR));
            return true;
        } catch (AmiforgeException e) {
            return false;
        }
    }

    /** Writes one sector to the overlay; false when it does not exist or the overlay is full. */
    public boolean write(long lba, byte[] src) {
        if (lba < 0 || lba >= geometry.sectors()
                || (overlay.size() >= MAX_OVERLAY_SECTORS && !overlay.containsKey(lba))) {
            return false;
        }
        overlay.put(lba, Arrays.copyOf(src, SECTOR));
        return true;
    }

    /** Sectors the guest wrote (kept in the overlay, never on the device). */
    public int sectorsWritten() {
        return overlay.size();
    }
}
