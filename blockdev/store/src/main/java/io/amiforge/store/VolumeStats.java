package io.amiforge.store;

import java.util.concurrent.atomic.LongAdder;

/**
 * Live counters of one open volume: blocks copied (copy-on-write copy-outs and merges),
 * bytes written to block data and to metadata (index entries, catalog), blocks read and the
 * layers the read index visited to resolve them.
 */
public final class VolumeStats {

    final LongAdder blocksCopied = new LongAdder();
    final LongAdder dataBytesWritten = new LongAdder();
    final LongAdder metadataBytesWritten = new LongAdder();
    final LongAdder blocksRead = new LongAdder();
    final LongAdder layersVisited = new LongAdder();

    VolumeStats() {
    }

    public long blocksCopied() {
        return blocksCopied.sum();
    }

    public long dataBytesWritten() {
        return dataBytesWritten.sum();
    }

    public long metadataBytesWritten() {
        return metadataBytesWritten.sum();
    }

    public long blocksRead() {
        return blocksRead.sum();
    }

    public long layersVisited() {
        return layersVisited.sum();
    }

    /** Mean layers visited per block read (0 when nothing was read). */
    public double layersVisitedPerRead() {
        long reads = blocksRead();
        return reads == 0 ? 0 : (double) layersVisited() / reads;
    }

    @Override
    public String toString() {
        return "blocksCopied=%d dataBytesWritten=%d metadataBytesWritten=%d blocksRead=%d layersVisitedPerRead=%.2f"
                .formatted(blocksCopied(), dataBytesWritten(), metadataBytesWritten(), blocksRead(), layersVisitedPerRead());
    }
}
