package io.amiforge.boot.pv;

import java.util.HashMap;
import java.util.Map;

/**
 * A PV guest's pseudo-physical memory, sparse: 4 KiB pages exist only once something was
 * written to them (unwritten memory reads as zeros, as the domain builder's freshly
 * allocated pages do). So the host memory used is bounded by the bytes actually loaded,
 * never by the guest's size, whatever a kernel's segment sizes claim.
 */
public final class GuestMemory {

    /** x86 page size. */
    public static final int PAGE = 4096;

    private final long size;
    private final Map<Long, byte[]> pages = new HashMap<>();

    /** A guest memory of {@code size} bytes. */
    public GuestMemory(long size) {
        this.size = size;
    }

    /** Size in bytes. */
    public long size() {
        return size;
    }

    /** Pages that hold data. */
    public int pagesInUse() {
        return pages.size();
    }

    /** Copies {@code src[off, off+len)} to pseudo-physical {@code address}; the range must lie inside the memory. */
    public void write(long address, byte[] src, int off, int len) {
        if (address < 0 || len < 0 || address > size - len) {
            throw new IllegalArgumentException("write of " + len + " bytes at 0x" + Long.toHexString(address)
                    + " outside guest memory of 0x" + Long.toHexString(size) + " bytes");
        }
        int done = 0;
        while (done < len) {
            long a = address + done;
            int inPage = (int) (a & (PAGE - 1));
            int n = Math.min(len - done, PAGE - inPage);
            byte[] page = pages.computeIfAbsent(a / PAGE, k -> new byte[PAGE]);
            System.arraycopy(src, off + done, page, inPage, n);
            done += n;
        }
    }

    /** Reads {@code len} bytes at pseudo-physical {@code address} (for checks and tests). */
    public byte[] read(long address, int len) {
        if (address < 0 || len < 0 || address > size - len) {
            throw new IllegalArgumentException("read of " + len + " bytes at 0x" + Long.toHexString(address)
                    + " outside guest memory of 0x" + Long.toHexString(size) + " bytes");
        }
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            long a = address + done;
            int inPage = (int) (a & (PAGE - 1));
            int n = Math.min(len - done, PAGE - inPage);
            byte[] page = pages.get(a / PAGE);
            if (page != null) {
                System.arraycopy(page, inPage, out, done, n);
            }
            done += n;
        }
        return out;
    }
}
