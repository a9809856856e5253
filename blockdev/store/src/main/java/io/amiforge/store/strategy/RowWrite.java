package io.amiforge.store.strategy;

/** Redirect-on-write: new data always goes to the newest layer; nothing is ever copied. */
public final class RowWrite implements WriteStrategy {

    /** The redirect-on-write strategy (stateless). */
    public RowWrite() {
    }

    @Override
    public String name() {
        return "row";
    }

    @Override
    public boolean freezesOnSnapshot() {
        return true;
    }

    @Override
    public void beforeOverwrite(CopyOutContext context, long block) {
    }
}
