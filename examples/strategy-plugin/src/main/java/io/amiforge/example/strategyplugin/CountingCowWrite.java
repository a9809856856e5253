package io.amiforge.example.strategyplugin;

import io.amiforge.store.spi.StrategyStats;
import io.amiforge.store.spi.WriteStrategy;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Copy-on-write, counting: the volume's layer is updated in place, and before a block that a
 * snapshot still needs is overwritten it is copied out into that snapshot. Counts every block
 * write it is told about ({@code writes}) and every copy-out it asks for ({@code copyOuts}), and
 * reports both through {@link StrategyStats}: {@code amiforge volume info} and
 * {@code volume write --json} show them as {@code counting_cow.writes} and
 * {@code counting_cow.copyOuts}.
 */
public final class CountingCowWrite implements WriteStrategy {

    // written by the journal thread only, read by whoever asks for statistics
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong copyOuts = new AtomicLong();

    @Override
    public boolean freezesOnSnapshot() {
        return false;
    }

    @Override
    public void beforeOverwrite(CopyOutContext context, long block) {
        writes.setRelease(writes.get() + 1);
        String owner = context.ownerSnapshot(block);
        if (owner != null) {
            context.copyOut(block, owner);
            copyOuts.setRelease(copyOuts.get() + 1);
        }
    }

    @Override
    public StrategyStats stats() {
        return sink -> {
            sink.accept("writes", writes.get());
            sink.accept("copyOuts", copyOuts.get());
        };
    }
}
