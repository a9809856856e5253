package io.amiforge.cloud.shape;

/** EBS sizes: the API speaks whole GiB; a store volume of any byte size shows rounded up. */
public final class Gib {

    /** One GiB in bytes. */
    public static final long BYTES = 1L << 30;

    private Gib() {
    }

    /** {@code bytes} in GiB, rounded up (a 1 MiB volume is 1 GiB, as EBS has no smaller size). */
    public static long ceil(long bytes) {
        return Math.ceilDiv(bytes, BYTES);
    }
}
