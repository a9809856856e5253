package io.amiforge.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import java.util.ArrayDeque;
import java.util.Deque;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * Copies snapshot lineages from one region's store to another's, incrementally: each source
 * layer is copied once, as a layer of its own (only the blocks that layer holds), and its copy
 * is remembered on the destination snapshot ({@code copiedFrom} = region/snapshot). A later
 * copy of a descendant reuses the copied ancestors and moves only the new layers' blocks.
 */
final class SnapshotCopier {

    static final String COPIED_FROM = "copiedFrom";

    private final SnapshotStore source;
    private final String sourceRegion;
    private final SnapshotStore destination;
    private long blocksCopied;
    private long blocksSkipped;
    private int blockSize;

    SnapshotCopier(SnapshotStore source, String sourceRegion, SnapshotStore destination) {
        this.source = source;
        this.sourceRegion = sourceRegion;
        this.destination = destination;
    }

    /** Copies {@code snapshotId} (and whatever of its ancestry is missing); returns the destination id. */
    String copy(String snapshotId, String owner) {
        Deque<SnapshotInfo> chain = new ArrayDeque<>();
        for (SnapshotInfo s = source.snapshot(snapshotId); s != null; s = s.parentId() == null ? null : source.snapshot(s.parentId())) {
            chain.push(s);
        }
        SnapshotInfo parentCopy = null;
        while (!chain.isEmpty()) {
            SnapshotInfo layer = chain.pop();
            blockSize = layer.blockSize();
            SnapshotInfo existing = existingCopy(layer.id());
            if (existing != null) {
                blocksSkipped += layer.blockCount();
                parentCopy = existing;
                continue;
            }
            Roaring64Bitmap present = new Roaring64Bitmap();
            for (long block : source.blocks(layer.id()).blocks()) {
                present.addLong(block);
            }
            try (BlockDevice contents = source.openSnapshot(layer.id())) {
                parentCopy = destination.importSnapshot(parentCopy, contents, present,
                        layer.description() == null ? "Copied from " + sourceRegion + "/" + layer.id()
                                : layer.description() + " [copied from " + sourceRegion + "/" + layer.id() + "]");
            }
            destination.setSnapshotAttribute(parentCopy.id(), COPIED_FROM, sourceRegion + "/" + layer.id());
            destination.setSnapshotAttribute(parentCopy.id(), "owner", owner);
            blocksCopied += present.getLongCardinality();
        }
        return parentCopy.id();
    }

    private SnapshotInfo existingCopy(String sourceId) {
        String key = sourceRegion + "/" + sourceId;
        return destination.listSnapshots().stream()
                .filter(s -> key.equals(s.attributes().get(COPIED_FROM))).findFirst().orElse(null);
    }

    long blocksCopied() {
        return blocksCopied;
    }

    long blocksSkipped() {
        return blocksSkipped;
    }

    int blockSize() {
        return blockSize;
    }
}
