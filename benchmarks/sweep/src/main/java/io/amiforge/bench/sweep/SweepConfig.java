package io.amiforge.bench.sweep;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * What a sweep runs: the strategy pairs ({@code write-read}), chain depths, volume size, operations
 * per data workload and per metadata workload (snapshot, clone, delete), and the seed every
 * offset and every block's content derive from. {@link #of} resolves user input; immutable.
 *
 * @param pairs strategy pairs as {@code write-read}, each registered
 * @param depths chain depths, each from 1 to {@link #MAX_DEPTH}
 * @param volumeBytes volume size, a multiple of {@link #BLOCK}
 * @param dataOps reads or writes timed per data workload
 * @param metaOps snapshots, clones and deletes timed per metadata workload
 * @param seed the seed of the workload
 * @param packs the automatic packing of the stores measured, each {@code auto} (the store's
 *              default, {@code AutoPack.DEFAULT}) or {@code off} ({@code AutoPack.OFF}): every
 *              pair and depth is measured in a store of each
 */
public record SweepConfig(List<String> pairs, List<Integer> depths, long volumeBytes, int dataOps, int metaOps, long seed,
        List<String> packs) {

    /** The packings a sweep compares unless told otherwise. */
    public static final List<String> PACKS = List.of("auto", "off");

    /** Block size of every sweep volume. */
    public static final int BLOCK = 4096;
    /** The deepest chain a sweep builds. */
    public static final int MAX_DEPTH = 10_000;
    /** Depths of a full sweep when none are given. */
    public static final List<Integer> FULL_DEPTHS = List.of(1, 8, 64, 512, 1000);
    /** Depths of a quick sweep when none are given. */
    public static final List<Integer> QUICK_DEPTHS = List.of(1, 8, 64);

    /** Checks the figures. */
    public SweepConfig {
        pairs = List.copyOf(pairs);
        depths = List.copyOf(depths);
        packs = List.copyOf(packs);
        if (packs.isEmpty() || !PACKS.containsAll(packs)) {
            throw usage("packing " + packs + " is not a list of 'auto' and 'off'");
        }
        if (pairs.isEmpty() || depths.isEmpty()) {
            throw usage("a sweep needs at least one strategy pair and one depth");
        }
        for (int d : depths) {
            if (d < 1 || d > MAX_DEPTH) {
                throw usage("depth " + d + " in --depths is not from 1 to " + MAX_DEPTH);
            }
        }
        if (volumeBytes < 64L * BLOCK || volumeBytes % BLOCK != 0) {
            throw usage("volume size " + volumeBytes + " is not a multiple of " + BLOCK + " of at least 64 blocks");
        }
        if (dataOps < 1 || metaOps < 1) {
            throw usage("operations per workload must be at least 1 (data " + dataOps + ", metadata " + metaOps + ")");
        }
    }

    /** A sweep of both packings ({@link #PACKS}). */
    public SweepConfig(List<String> pairs, List<Integer> depths, long volumeBytes, int dataOps, int metaOps, long seed) {
        this(pairs, depths, volumeBytes, dataOps, metaOps, seed, PACKS);
    }

    /**
     * A sweep from command-line input: {@code strategies} is {@code all} or a comma list of
     * {@code write-read} pairs and single names (a write strategy with every read index, a read
     * index with every write strategy); {@code depths} null means the default of the mode; quick
     * is 16 MiB volumes and few operations (about a minute), full 256 MiB.
     */
    public static SweepConfig of(String strategies, List<Integer> depths, boolean quick, long seed) {
        List<Integer> d = depths == null || depths.isEmpty() ? (quick ? QUICK_DEPTHS : FULL_DEPTHS) : depths;
        return quick ? new SweepConfig(pairs(strategies), d, 16L << 20, 2000, 5, seed)
                : new SweepConfig(pairs(strategies), d, 256L << 20, 50_000, 20, seed);
    }

    /** The pairs {@code spec} names (see {@link #of}), registry order, without repeats. */
    public static List<String> pairs(String spec) {
        List<String> writes = Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY);
        List<String> reads = Strategies.names(StrategyProvider.Kind.READ_INDEX);
        List<String> out = new ArrayList<>();
        for (String item : (spec == null || spec.isBlank() ? "all" : spec).split(",")) {
            String name = item.strip();
            int dash = name.indexOf('-');
            if (name.equals("all")) {
                writes.forEach(w -> reads.forEach(r -> add(out, w + "-" + r)));
            } else if (dash > 0) {
                Strategies.writeStrategy(name.substring(0, dash));
                Strategies.readIndex(name.substring(dash + 1));
                add(out, name);
            } else if (writes.contains(name)) {
                reads.forEach(r -> add(out, name + "-" + r));
            } else if (reads.contains(name)) {
                writes.forEach(w -> add(out, w + "-" + name));
            } else {
                throw usage("'" + name + "' in --strategies is neither 'all', a WRITE-READ pair nor a strategy name (write "
                        + "strategies: " + String.join(", ", writes) + "; read indexes: " + String.join(", ", reads) + ")");
            }
        }
        return out;
    }

    /** Blocks of the volume. */
    public long blocks() {
        return volumeBytes / BLOCK;
    }

    private static void add(List<String> out, String pair) {
        if (!out.contains(pair)) {
            out.add(pair);
        }
    }

    private static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", message);
    }
}
