package io.amiforge.boot.pv;

import java.io.IOException;

/**
 * Whether zstd-jni (the native zstd Commons Compress uses) loads on this machine, and the
 * frame-size query used to stop before the kernel's appended 4-byte size.
 */
final class ZstdSupport {

    private static final String REASON;

    static {
        String reason = null;
        try {
            com.github.luben.zstd.util.Native.load();
        } catch (Throwable t) {
            reason = t.getClass().getSimpleName() + ": " + t.getMessage();
        }
        REASON = reason;
    }

    private ZstdSupport() {
    }

    static boolean available() {
        return REASON == null;
    }

    static String reason() {
        return REASON;
    }

    static int firstFrameSize(byte[] data, int offset, int length) throws IOException {
        long size;
        try {
            size = com.github.luben.zstd.Zstd.findFrameCompressedSize(data, offset, length);
        } catch (RuntimeException e) {
            throw new IOException("zstd frame header: " + e.getMessage(), e);
        }
        if (size <= 0 || size > length) {
            throw new IOException("zstd frame size " + size + " does not fit the " + length + "-byte payload");
        }
        return (int) size;
    }
}
