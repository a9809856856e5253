package io.amiforge.imagefmt.qcow2;

/** The answer of one layer for a run of guest bytes: a mutable holder, reused to avoid allocation. */
final class Mapping {

    static final int UNALLOCATED = 0;
    static final int DATA = 1;
    static final int ZERO = 2;
    static final int COMPRESSED = 3;

    /** One of the kinds above. */
    int kind;
    /** DATA: host offset of the first byte; COMPRESSED: the raw L2 descriptor. */
    long host;
    /** Bytes in the run (at least 1). */
    long length;

    void set(int kind, long host, long length) {
        this.kind = kind;
        this.host = host;
        this.length = length;
    }
}
