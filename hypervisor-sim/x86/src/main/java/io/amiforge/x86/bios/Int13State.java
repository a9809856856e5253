package io.amiforge.x86.bios;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the INT 13h disk service remembers between calls, apart from its behaviour
 * ({@link Int13Disk}): the status of the last operation (AH=01h returns it), and the counters
 * and bounded log of the reads the guest made.
 */
public final class Int13State {

    /** A fresh, empty state. */
    public Int13State() {
    }

    /** Most reads kept in {@link #reads()}; {@link #readCount()} keeps counting. */
    public static final int MAX_RECORDED_READS = 10_000;

    private final List<DiskRead> reads = new ArrayList<>();
    private int lastStatus;
    private long readCount;
    private long sectorsRead;
    private long sectorsWritten;

    /** Status of the last operation: 0 success, 01h bad command, 03h write fault, 04h sector not found. */
    public int lastStatus() {
        return lastStatus;
    }

    void setLastStatus(int status) {
        lastStatus = status;
    }

    /** The first {@link #MAX_RECORDED_READS} reads, in order (read-only view). */
    public List<DiskRead> reads() {
        return Collections.unmodifiableList(reads);
    }

    /** All reads, including those beyond the recorded list's bound. */
    public long readCount() {
        return readCount;
    }

    /** Sectors read for the guest (the INT 19h boot-sector load included). */
    public long sectorsRead() {
        return sectorsRead;
    }

    /** Sectors the guest wrote (to the overlay). */
    public long sectorsWritten() {
        return sectorsWritten;
    }

    void record(DiskRead read) {
        readCount++;
        if (reads.size() < MAX_RECORDED_READS) {
            reads.add(read);
        }
    }

    void countRead() {
        sectorsRead++;
    }

    void countWrite() {
        sectorsWritten++;
    }
}
