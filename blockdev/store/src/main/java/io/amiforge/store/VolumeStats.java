package io.amiforge.store;

import io.amiforge.store.spi.ReadIndex;
import io.amiforge.store.spi.StrategyStats;
import io.amiforge.store.spi.WriteStrategy;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Live counters of one open volume: blocks copied (copy-on-write copy-outs and merges),
 * bytes written to block data and to metadata (index entries, catalog), blocks read and the
 * layers the read index visited to resolve them (the lookups), and the counters its two
 * strategies report through {@link StrategyStats} ({@link #strategyCounters()}).
 */
public final class VolumeStats {

    final LongAdder blocksCopied = new LongAdder();
    final LongAdder dataBytesWritten = new LongAdder();
    final LongAdder metadataBytesWritten = new LongAdder();
    final LongAdder blocksRead = new LongAdder();
    final LongAdder layersVisited = new LongAdder();
    private final String writeName;
    private final WriteStrategy write;
    private final String readName;
    private final Supplier<ReadIndex.Resolver> resolver;

    /** Counters of a volume using {@code write} and (through its current resolver) read index {@code readName}. */
    VolumeStats(String writeName, WriteStrategy write, String readName, Supplier<ReadIndex.Resolver> resolver) {
        this.writeName = writeName;
        this.write = write;
        this.readName = readName;
        this.resolver = resolver;
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

    /**
     * What the volume's strategies report about their own work, each counter named
     * {@code <strategy>.<counter>} (for example {@code flat.entries}), write strategy first.
     */
    public Map<String, Long> strategyCounters() {
        Map<String, Long> out = new LinkedHashMap<>();
        write.stats().report((name, value) -> out.put(writeName + "." + name, value));
        resolver.get().stats().report((name, value) -> out.put(readName + "." + name, value));
        return out;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("blocksCopied=%d dataBytesWritten=%d metadataBytesWritten=%d blocksRead=%d layersVisitedPerRead=%.2f"
                .formatted(blocksCopied(), dataBytesWritten(), metadataBytesWritten(), blocksRead(), layersVisitedPerRead()));
        strategyCounters().forEach((name, value) -> s.append(' ').append(name).append('=').append(value));
        return s.toString();
    }
}
