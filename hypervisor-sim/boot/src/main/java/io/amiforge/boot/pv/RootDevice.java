package io.amiforge.boot.pv;

/**
 * A GRUB-legacy device name: {@code (hdN)} is a whole disk, {@code (hdN,M)} its partition M
 * (counted from 0). On AWS, {@code (hd0)} is the root volume used as an unpartitioned
 * filesystem and {@code (hd0,0)} the first partition of a partitioned one.
 */
public record RootDevice(int disk, int partition) {

    /** Value of {@link #partition()} for a whole-disk device. */
    public static final int WHOLE_DISK = -1;

    /** Whether this names the whole disk rather than a partition. */
    public boolean wholeDisk() {
        return partition == WHOLE_DISK;
    }

    /**
     * Parses {@code (hdN)} or {@code (hdN,M)} at the start of {@code text}; returns null when
     * the text is not a device name GRUB would accept for a hard disk.
     */
    public static RootDevice parse(String text) {
        String t = text.strip();
        if (!t.startsWith("(hd")) {
            return null;
        }
        int close = t.indexOf(')');
        if (close < 0) {
            return null;
        }
        String inner = t.substring(3, close);
        String[] parts = inner.split(",", -1);
        try {
            int disk = Integer.parseInt(parts[0].strip());
            if (parts.length == 1) {
                return disk >= 0 ? new RootDevice(disk, WHOLE_DISK) : null;
            }
            if (parts.length == 2) {
                int part = Integer.parseInt(parts[1].strip());
                return disk >= 0 && part >= 0 ? new RootDevice(disk, part) : null;
            }
            return null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Length of the device prefix {@code (..)} in {@code text}, or 0 when there is none. */
    static int prefixLength(String text) {
        if (text.startsWith("(")) {
            int close = text.indexOf(')');
            return close < 0 ? 0 : close + 1;
        }
        return 0;
    }

    @Override
    public String toString() {
        return wholeDisk() ? "(hd" + disk + ")" : "(hd" + disk + "," + partition + ")";
    }
}
