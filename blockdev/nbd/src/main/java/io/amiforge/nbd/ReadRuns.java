package io.amiforge.nbd;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.Extent;

/**
 * The chunks of a hole-aware structured READ: {@code [offset, end)} of an export walked as runs
 * of data and runs of holes, adjacent extents of one kind joined, each extent asked for once.
 * The run that would be chunk {@code maxChunks} takes the rest as data, so a reply has at most
 * that many chunks. Not thread-safe: one walk, by one thread.
 */
final class ReadRuns {

    private final AllocationStatus allocation;
    private final long end;
    private final int maxChunks;
    private int chunks;
    private long start;
    private long runEnd;
    private boolean hole;
    /** The extent after the current run, already asked for; or null. */
    private Extent next;

    ReadRuns(AllocationStatus allocation, long offset, long end, int maxChunks) {
        this.allocation = allocation;
        this.end = end;
        this.maxChunks = maxChunks;
        this.runEnd = offset;
    }

    /** Moves to the next run; false when the read is covered. */
    boolean advance() {
        if (runEnd >= end) {
            return false;
        }
        start = runEnd;
        chunks++;
        if (chunks == maxChunks) { // the last chunk takes the rest as data
            hole = false;
            runEnd = end;
            return true;
        }
        Extent e = next != null ? next : allocation.extentAt(start, end - start);
        next = null;
        hole = e.kind() != Extent.Kind.DATA;
        runEnd = e.end();
        while (runEnd < end) {
            Extent following = allocation.extentAt(runEnd, end - runEnd);
            if ((following.kind() != Extent.Kind.DATA) != hole) {
                next = following;
                break;
            }
            runEnd = following.end();
        }
        return true;
    }

    long start() {
        return start;
    }

    int length() {
        return (int) (runEnd - start);
    }

    boolean hole() {
        return hole;
    }

    /** Whether this run ends the read. */
    boolean last() {
        return runEnd == end;
    }
}
