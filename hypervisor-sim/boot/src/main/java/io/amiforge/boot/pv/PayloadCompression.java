package io.amiforge.boot.pv;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.lzma.LZMACompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;
import org.tukaani.xz.SingleXZInputStream;

/**
 * The compressions a Linux bzImage payload may use, recognised by their magic bytes, and a
 * bounded decompressor for each: gzip, bzip2, lzma (via Commons Compress), xz (XZ for Java's
 * {@link SingleXZInputStream}, which handles the x86 BCJ filter Debian's kernels use and stops
 * after one stream so the kernel's appended 4-byte size is ignored), legacy-frame LZ4 (our own
 * frame reader over Commons Compress's LZ4 block decoder) and zstd (Commons Compress over
 * zstd-jni, first frame only). LZO is recognised and reported as unsupported.
 */
public enum PayloadCompression {
    GZIP, BZIP2, XZ, LZMA, LZ4, ZSTD, LZO, NONE;

    /** The compression of {@code data[offset..]} by its magic, or {@link #NONE} when it starts with an ELF header; null when unknown. */
    public static PayloadCompression detect(byte[] data, int offset, int length) {
        if (length < 6) {
            return null;
        }
        int b0 = data[offset] & 0xff;
        int b1 = data[offset + 1] & 0xff;
        int b2 = data[offset + 2] & 0xff;
        int b3 = data[offset + 3] & 0xff;
        if (b0 == 0x1f && (b1 == 0x8b || b1 == 0x9e)) {
            return GZIP;
        }
        if (b0 == 'B' && b1 == 'Z' && b2 == 'h') {
            return BZIP2;
        }
        if (b0 == 0xfd && b1 == '7' && b2 == 'z' && b3 == 'X' && (data[offset + 4] & 0xff) == 'Z' && data[offset + 5] == 0) {
            return XZ;
        }
        if (b0 == 0x5d && b1 == 0 && b2 == 0) {
            return LZMA;
        }
        if (b0 == 0x02 && b1 == 0x21 && b2 == 0x4c && b3 == 0x18) {
            return LZ4;
        }
        if (b0 == 0x28 && b1 == 0xb5 && b2 == 0x2f && b3 == 0xfd) {
            return ZSTD;
        }
        if (b0 == 0x89 && b1 == 'L' && b2 == 'Z' && b3 == 'O') {
            return LZO;
        }
        if (b0 == 0x7f && b1 == 'E' && b2 == 'L' && b3 == 'F') {
            return NONE;
        }
        return null;
    }

    /** Lower-case name as reports print it. */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Decompresses {@code data[offset, offset+length)}; fails with a {@link PvBootException}
     * naming {@code where} when the stream is corrupt or truncated, or when the output would
     * exceed {@code maxOutput} bytes (nothing larger is ever allocated).
     */
    public byte[] decompress(byte[] data, int offset, int length, int maxOutput, String where) {
        if (this == NONE) {
            return Arrays.copyOfRange(data, offset, offset + length);
        }
        if (this == LZO) {
            throw new PvBootException("UnsupportedKernelCompression", where,
                    "the payload is LZO-compressed; amiforge's PV loader supports gzip, bzip2, xz, lzma, lz4 and zstd");
        }
        try (InputStream in = open(data, offset, length, where)) {
            return readBounded(in, maxOutput, where);
        } catch (IOException | RuntimeException | LinkageError e) {
            if (e instanceof PvBootException p) {
                throw p;
            }
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new PvBootException("CorruptKernelPayload", where, wireName() + " payload of " + length
                    + " bytes does not decompress (truncated or corrupt?): " + why);
        }
    }

    private InputStream open(byte[] data, int offset, int length, String where) throws IOException {
        InputStream raw = new ByteArrayInputStream(data, offset, length);
        return switch (this) {
            case GZIP -> GzipCompressorInputStream.builder().setInputStream(raw).setDecompressConcatenated(false).get();
            case BZIP2 -> new BZip2CompressorInputStream(raw, false);
            case XZ -> new SingleXZInputStream(raw, 256 * 1024);
            case LZMA -> LZMACompressorInputStream.builder().setInputStream(raw).setMemoryLimitKiB(256 * 1024).get();
            case LZ4 -> new Lz4LegacyInputStream(data, offset, length);
            case ZSTD -> openZstd(data, offset, length, where);
            default -> throw new IllegalStateException(name());
        };
    }

    private static InputStream openZstd(byte[] data, int offset, int length, String where) throws IOException {
        if (!ZstdSupport.available()) {
            throw new PvBootException("UnsupportedKernelCompression", where,
                    "the payload is zstd-compressed but zstd-jni's native library cannot be loaded here: " + ZstdSupport.reason());
        }
        int frame = ZstdSupport.firstFrameSize(data, offset, length);
        return new ZstdCompressorInputStream(new ByteArrayInputStream(data, offset, frame));
    }

    private static byte[] readBounded(InputStream in, int max, String where) throws IOException {
        byte[] out = new byte[Math.min(max, 1 << 20)];
        int n = 0;
        while (true) {
            if (n == out.length) {
                if (n >= max) {
                    if (in.read() < 0) {
                        return out;
                    }
                    throw new PvBootException("KernelTooLarge", where, "the payload decompresses to more than "
                            + max + " bytes, the most this guest can hold");
                }
                out = Arrays.copyOf(out, (int) Math.min(max, (long) out.length * 2));
            }
            int r = in.read(out, n, out.length - n);
            if (r < 0) {
                return Arrays.copyOf(out, n);
            }
            n += r;
        }
    }
}
