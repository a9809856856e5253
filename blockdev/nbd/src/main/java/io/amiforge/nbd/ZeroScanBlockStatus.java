package io.amiforge.nbd;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Allocation status by reading: every 64 KiB granule that reads as all zeros is reported as a
 * hole that reads as zeros, everything else as data. Meant for devices that keep no
 * allocation map of their own (memory devices); reads at most 16 MiB per call.
 */
public final class ZeroScanBlockStatus implements BlockStatusSource {

    private static final int GRANULE = 64 * 1024;
    private static final long MAX_SCAN = 16L << 20;

    private final BlockDevice device;
    private final MemorySegment buffer = Arena.ofAuto().allocate(GRANULE, 64);
    private final MemorySegment zeros = Arena.ofAuto().allocate(GRANULE, 64);

    public ZeroScanBlockStatus(BlockDevice device) {
        this.device = device;
    }

    @Override
    public synchronized List<Extent> status(long offset, long length, int maxExtents) {
        List<Extent> out = new ArrayList<>();
        long end = offset + Math.min(length, MAX_SCAN);
        long runStart = offset;
        int runFlags = -1;
        long pos = offset;
        while (pos < end) {
            long granuleEnd = Math.min(end, (pos / GRANULE + 1) * GRANULE);
            int n = (int) (granuleEnd - pos);
            MemorySegment window = buffer.asSlice(0, n);
            device.read(pos, window);
            int flags = window.mismatch(zeros.asSlice(0, n)) == -1 ? HOLE | ZERO : 0;
            if (runFlags != -1 && flags != runFlags) {
                out.add(new Extent(runStart, pos - runStart, runFlags));
                if (out.size() == maxExtents) {
                    return out;
                }
                runStart = pos;
            }
            runFlags = flags;
            pos = granuleEnd;
        }
        out.add(new Extent(runStart, pos - runStart, runFlags));
        return out;
    }
}
