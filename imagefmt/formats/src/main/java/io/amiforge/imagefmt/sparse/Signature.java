package io.amiforge.imagefmt.sparse;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** A format's magic bytes at the start of a file, for {@code ImageFormat.probe}. */
public final class Signature {

    private final byte[] bytes;

    public Signature(String ascii) {
        this.bytes = ascii.getBytes(StandardCharsets.US_ASCII);
    }

    /** Whether {@code header} starts with these bytes. */
    public boolean startsOf(MemorySegment header) {
        if (header.byteSize() < bytes.length) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            if (header.get(ValueLayout.JAVA_BYTE, i) != bytes[i]) {
                return false;
            }
        }
        return true;
    }

    /** The bytes, a copy. */
    public byte[] bytes() {
        return bytes.clone();
    }
}
