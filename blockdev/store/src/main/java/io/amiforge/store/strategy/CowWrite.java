package io.amiforge.store.strategy;

/** Copy-on-write: before the first overwrite of a block a snapshot still needs, copy it into that snapshot. */
public final class CowWrite implements WriteStrategy {

    /** The copy-on-write strategy (stateless). */
    public CowWrite() {
    }

    @Override
    public String name() {
        return "cow";
    }

    @Override
    public boolean freezesOnSnapshot() {
        return false;
    }

    @Override
    public void beforeOverwrite(CopyOutContext context, long block) {
        String owner = context.ownerSnapshot(block);
        if (owner != null) {
            context.copyOut(block, owner);
        }
    }
}
