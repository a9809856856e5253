package io.amiforge.x86.bios;

/**
 * The CHS geometry a BIOS reports for a disk of {@code sectors} 512-byte sectors, translated
 * as BIOSes do: 16 heads x 63 sectors per track below 504 MiB, else 255 x 63, at most 1024
 * cylinders (sectors beyond the last cylinder are reachable only through LBA, INT 13h
 * AH=42h).
 */
public record DiskGeometry(long sectors, int cylinders, int heads, int sectorsPerTrack) {

    /** Sectors per track of every translated geometry. */
    public static final int SECTORS_PER_TRACK = 63;
    /** Most cylinders CHS addressing can name. */
    public static final int MAX_CYLINDERS = 1024;

    /** The translated geometry of a disk of {@code sectors} sectors. */
    public static DiskGeometry of(long sectors) {
        int heads = sectors < (long) MAX_CYLINDERS * 16 * SECTORS_PER_TRACK ? 16 : 255;
        int cylinders = (int) Math.max(1, Math.min(MAX_CYLINDERS, sectors / ((long) heads * SECTORS_PER_TRACK)));
        return new DiskGeometry(sectors, cylinders, heads, SECTORS_PER_TRACK);
    }

    /**
     * The LBA of cylinder/head/sector ({@code sector} counts from 1), or -1 when the address is
     * outside this geometry (sector 0, a sector beyond the track, a head beyond the last).
     */
    public long lba(int cylinder, int head, int sector) {
        if (sector < 1 || sector > sectorsPerTrack || head < 0 || head >= heads || cylinder < 0) {
            return -1;
        }
        return ((long) cylinder * heads + head) * sectorsPerTrack + sector - 1;
    }
}
