package io.amiforge.imagefmt.ext;

/**
 * A run of {@code length} logical blocks from {@code logical} that map to consecutive physical
 * blocks from {@code physical}; {@code physical == 0} is a hole (or an unwritten extent) that
 * reads as zeros.
 */
record Run(long logical, long physical, long length) {

    boolean isHole() {
        return physical == 0;
    }
}
