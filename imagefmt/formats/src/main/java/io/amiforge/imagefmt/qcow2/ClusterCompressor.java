package io.amiforge.imagefmt.qcow2;

import com.github.luben.zstd.ZstdCompressCtx;
import java.util.zip.Deflater;

/**
 * Compresses whole clusters for compressed-cluster writes, in the image's compression type:
 * raw deflate (type 0, what qemu writes with {@code -c}) or one zstd frame (type 1). Each thread
 * keeps its own compressor and output buffer, so compressing allocates nothing per cluster.
 */
final class ClusterCompressor {

    private final boolean zstd;
    private final int clusterSize;
    private final ThreadLocal<State> state;

    ClusterCompressor(Qcow2Header header) {
        this.zstd = header.compressionType == 1;
        this.clusterSize = header.clusterSize();
        int cs = clusterSize;
        this.state = ThreadLocal.withInitial(() -> new State(cs));
    }

    /**
     * Compresses {@code cluster} (one whole cluster); returns the thread's buffer holding the
     * result in its first {@link #length()} bytes, or null when compressing does not save at
     * least one byte (the cluster is then stored as it is).
     */
    byte[] compress(byte[] cluster) {
        State s = state.get();
        int n;
        if (zstd) {
            n = s.zstd().compressByteArray(s.out, 0, s.out.length, cluster, 0, clusterSize);
        } else {
            Deflater deflater = s.deflater;
            deflater.reset();
            deflater.setInput(cluster, 0, clusterSize);
            deflater.finish();
            n = 0;
            while (!deflater.finished() && n < s.out.length) {
                n += deflater.deflate(s.out, n, s.out.length - n);
            }
            if (!deflater.finished()) {
                n = Integer.MAX_VALUE;
            }
        }
        s.length = n;
        return n < clusterSize ? s.out : null;
    }

    /** Bytes of the last result of {@link #compress} on this thread. */
    int length() {
        return state.get().length;
    }

    /** Per-thread compressors and output buffer. */
    private static final class State {
        final byte[] out;
        final Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        private ZstdCompressCtx zstd;
        int length;

        State(int clusterSize) {
            out = new byte[clusterSize + clusterSize / 8 + 1024]; // room for incompressible data's overhead
        }

        ZstdCompressCtx zstd() {
            if (zstd == null) {
                zstd = new ZstdCompressCtx();
            }
            return zstd;
        }
    }
}
