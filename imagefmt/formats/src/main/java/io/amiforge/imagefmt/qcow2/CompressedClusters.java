package io.amiforge.imagefmt.qcow2;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ReadAheadWindow;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Compressed clusters of one qcow2 file: decoding the L2 descriptor (host offset and sector
 * count, whose widths depend on the cluster size) and decompressing the data, raw deflate or,
 * with compression type 1, one zstd frame (the sector-rounded size may run past its end). A read
 * of a whole cluster into native memory (image conversion, large reads) decompresses straight into
 * the destination; a part of a cluster is decompressed into the thread's buffer, which remembers
 * the last cluster it holds, so sequential small reads of one cluster decompress it once. Each
 * thread keeps its own buffers, inflater and zstd context: reads allocate nothing.
 */
final class CompressedClusters {

    private final Qcow2File file;
    private final ReadAheadWindow.FileReader reader;
    private final int clusterSize;
    private final long clusterMask;
    private final int csizeShift;
    private final long csizeMask;
    private final long coffsetMask;
    private final ThreadLocal<Scratch> scratch;
    private final boolean zstd;
    /** Bytes of compressed data a read-only image reads ahead per thread. */
    private static final int WINDOW = 256 << 10;

    /**
     * The compressed clusters of {@code file}; a read-only file's compressed data is read ahead
     * ({@link ReadAheadWindow}), a writable one's is read cluster by cluster (its space can be reused).
     */
    CompressedClusters(Qcow2File file, Qcow2Header header, boolean readOnly) {
        this.file = file;
        this.reader = file::read;
        int clusterBits = header.clusterBits;
        this.clusterSize = header.clusterSize();
        this.clusterMask = clusterSize - 1;
        this.csizeShift = 62 - (clusterBits - 8);
        this.csizeMask = (1L << (clusterBits - 8)) - 1;
        this.coffsetMask = (1L << csizeShift) - 1;
        this.zstd = header.compressionType == 1;
        int cs = clusterSize;
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(cs, readOnly));
    }

    /** The host offset where the compressed data of L2 entry {@code entry} starts, for {@code clusterBits}-bit clusters. */
    static long hostStart(long entry, int clusterBits) {
        return entry & ((1L << (62 - (clusterBits - 8))) - 1);
    }

    /** The end (exclusive, sector-rounded as the spec counts it) of the compressed data of L2 entry {@code entry}. */
    static long hostEnd(long entry, int clusterBits) {
        int shift = 62 - (clusterBits - 8);
        long offset = hostStart(entry, clusterBits);
        return offset + (((entry >>> shift) & ((1L << (clusterBits - 8)) - 1)) + 1) * 512 - (offset & 511);
    }

    /** Reads {@code dst.byteSize()} bytes at {@code inCluster} of the compressed cluster {@code descriptor}. */
    void read(long descriptor, long inCluster, MemorySegment dst) {
        Scratch s = scratch.get();
        if (s.descriptor == descriptor && s.valid) {
            MemorySegment.copy(s.outSegment, inCluster, dst, 0, dst.byteSize());
        } else if (inCluster == 0 && dst.byteSize() == clusterSize && dst.isNative()) {
            decompress(descriptor, s, dst.asByteBuffer()); // whole cluster: no copy through the thread's buffer
        } else {
            s.valid = false;
            decompress(descriptor, s, s.outBuffer);
            s.descriptor = descriptor;
            s.valid = true;
            MemorySegment.copy(s.outSegment, inCluster, dst, 0, dst.byteSize());
        }
    }

    /** The L2 entry of a compressed cluster of {@code length} bytes at host offset {@code offset}. */
    long descriptor(long offset, int length) {
        long extraSectors = ((offset + length - 1) >> 9) - (offset >> 9);
        return Qcow2Image.COMPRESSED | (extraSectors << csizeShift) | offset;
    }

    /** The first host cluster holding compressed data of {@code descriptor}. */
    long firstHostCluster(long descriptor) {
        return (descriptor & coffsetMask) & ~clusterMask;
    }

    /** The end (exclusive) of the compressed data of {@code descriptor} in the file. */
    long dataEnd(long descriptor) {
        long offset = descriptor & coffsetMask;
        return offset + sectors(descriptor) * 512 - (offset & 511);
    }

    private long sectors(long descriptor) {
        return ((descriptor >>> csizeShift) & csizeMask) + 1;
    }

    /** Decompresses the cluster {@code descriptor} into the first {@code clusterSize} bytes of {@code out} (direct or heap). */
    private void decompress(long descriptor, Scratch s, ByteBuffer out) {
        long offset = descriptor & coffsetMask;
        long size = sectors(descriptor) * 512 - (offset & 511);
        long fileSize = file.size();
        if (offset >= fileSize) {
            throw ImageFormatException.corrupt(file.name(), "compressed cluster at file offset 0x%x lies beyond the end of the file (size 0x%x)"
                    .formatted(offset, fileSize));
        }
        int length = (int) Math.min(size, fileSize - offset);
        int at = s.in.fetch(reader, offset, length, fileSize);
        int produced = zstd ? unzstd(s, offset, at, length, out) : inflate(s, offset, at, length, out);
        if (produced < clusterSize) {
            throw ImageFormatException.corrupt(file.name(), "compressed cluster at file offset 0x%x decompresses to %d bytes, expected %d"
                    .formatted(offset, produced, clusterSize));
        }
    }

    private int unzstd(Scratch s, long offset, int at, int length, ByteBuffer out) {
        byte[] in = s.in.bytes();
        try {
            // The sector-rounded size can run past the frame: decompress exactly the one frame.
            long frame = Zstd.findFrameCompressedSize(in, at, length);
            if (Zstd.isError(frame)) {
                throw new ZstdException(frame);
            }
            return out.isDirect() ? s.zstd().decompressByteArrayToDirectByteBuffer(out, 0, clusterSize, in, at, (int) frame)
                    : s.zstd().decompressByteArray(out.array(), out.arrayOffset(), clusterSize, in, at, (int) frame);
        } catch (ZstdException e) {
            throw ImageFormatException.corrupt(file.name(), "compressed cluster at file offset 0x%x (%d bytes) is not valid zstd data: %s"
                    .formatted(offset, length, e.getMessage()));
        }
    }

    private int inflate(Scratch s, long offset, int at, int length, ByteBuffer out) {
        Inflater inflater = s.inflater;
        inflater.reset();
        inflater.setInput(s.in.bytes(), at, length);
        ByteBuffer dst = out.duplicate().clear().limit(clusterSize);
        try {
            while (dst.hasRemaining()) {
                int n = inflater.inflate(dst);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
            }
        } catch (DataFormatException e) {
            throw ImageFormatException.corrupt(file.name(), "compressed cluster at file offset 0x%x (%d bytes) is not valid deflate data: %s"
                    .formatted(offset, length, e.getMessage()));
        }
        return dst.position();
    }

    /** Per-thread buffers for decompression, so reads allocate nothing. */
    private static final class Scratch {
        final ReadAheadWindow in;
        final byte[] out;
        final ByteBuffer outBuffer;
        final MemorySegment outSegment;
        final Inflater inflater = new Inflater(true);
        private ZstdDecompressCtx zstd;
        long descriptor;
        boolean valid;

        /** The thread's zstd context, made on first use (zlib images never load the native library). */
        ZstdDecompressCtx zstd() {
            if (zstd == null) {
                zstd = new ZstdDecompressCtx();
            }
            return zstd;
        }

        Scratch(int clusterSize, boolean readAhead) {
            in = new ReadAheadWindow(Math.max(WINDOW, 2 * clusterSize + 512), readAhead);
            out = new byte[clusterSize];
            outBuffer = ByteBuffer.wrap(out);
            outSegment = MemorySegment.ofArray(out);
        }
    }
}
