package io.amiforge.x86.bios;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * BIOS drive 0x80 over a {@link BlockDevice}: 512-byte sectors, a CHS geometry as a BIOS would
 * translate it (16 heads x 63 sectors below 504 MiB, else 255 x 63, at most 1024 cylinders),
 * and a copy-on-write overlay so guest writes never reach the device (bounded to
 * {@link #MAX_OVERLAY_SECTORS}).
 */
public final class DiskDrive {

    public static final int SECTOR = 512;
    public static final int MAX_OVERLAY_SECTORS = 65536;

    private final BlockDevice device;
    private final long sectors;
    private final int heads;
    private final int spt = 63;
    private final int cylinders;
    private final Map<Long, byte[]> overlay = new HashMap<>();

    public DiskDrive(BlockDevice device) {
        this.device = device;
        this.sectors = device.size() / SECTOR;
        this.heads = sectors < 1024L * 16 * 63 ? 16 : 255;
        this.cylinders = (int) Math.max(1, Math.min(1024, sectors / ((long) heads * spt)));
    }

    public long sectors() {
        return sectors;
    }

    public int heads() {
        return heads;
    }

    public int sectorsPerTrack() {
        return spt;
    }

    public int cylinders() {
        return cylinders;
    }

    public String name() {
        return device.name();
    }

    /** Reads one sector into {@code dst} (512 bytes); false when the sector does not exist. */
    public boolean read(long lba, byte[] dst) {
        if (lba < 0 || lba >= sectors) {
            return false;
        }
        byte[] o = overlay.get(lba);
        if (o != null) {
            System.arraycopy(o, 0, dst, 0, SECTOR);
            return true;
        }
        try {
            device.read(lba * SECTOR, MemorySegment.ofArray(dst).asSlice(0, SECTOR));
            return true;
        } catch (AmiforgeException e) {
            return false;
        }
    }

    /** Writes one sector to the overlay; false when it does not exist or the overlay is full. */
    public boolean write(long lba, byte[] src) {
        if (lba < 0 || lba >= sectors || (overlay.size() >= MAX_OVERLAY_SECTORS && !overlay.containsKey(lba))) {
            return false;
        }
        overlay.put(lba, java.util.Arrays.copyOf(src, SECTOR));
        return true;
    }

    /** Sectors the guest wrote (kept in the overlay, never on the device). */
    public int sectorsWritten() {
        return overlay.size();
    }
}
