package io.amiforge.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.TenantStore;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * Copies snapshot lineages from one region's store to another's, incrementally: each source
 * layer is copied once, as a layer of its own (only the blocks that layer holds), and its copy
 * is remembered on the destination snapshot ({@code copiedFrom} = region/snapshot). A later
 * copy of a descendant reuses the copied ancestors and moves only the new layers' blocks.
 *
 * <p>The source is read with the trusted store API (the cloud has checked the caller's authority
 * over the image's snapshots); everything is written through the caller's view of the
 * destination, so the copies are the caller's, and only the caller's earlier copies are reused.
 */
final class SnapshotCopier {

    static final String COPIED_FROM = "copiedFrom";

    private final SnapshotStore source;
    private final String sourceRegion;
    private final TenantStore destination;
    private final List<String> created = new ArrayList<>();
    private long blocksCopied;
    private long blocksSkipped;
    private int blockSize;

    SnapshotCopier(SnapshotStore source, String sourceRegion, TenantStore destination) {
        this.source = source;
        this.sourceRegion = sourceRegion;
        this.destination = destination;
    }

    /** Copies {@code snapshotId} (and whatever of its ancestry is missing); returns the destination id. */
    String copy(String snapshotId) {
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
            created.add(parentCopy.id());
            destination.setSnapshotAttribute(parentCopy.id(), COPIED_FROM, sourceRegion + "/" + layer.id());
            blocksCopied += present.getLongCardinality();
        }
        return parentCopy.id();
    }

    private SnapshotInfo existingCopy(String sourceId) {
        String key = sourceRegion + "/" + sourceId;
        String owner = destination.account().value();
        return destination.listSnapshots().stream()
                .filter(s -> owner.equals(s.ownerId()) && key.equals(s.attributes().get(COPIED_FROM))).findFirst().orElse(null);
    }

    /**
     * Deletes the snapshots this copier made, newest first (a copy that will not be registered
     * leaves nothing behind); earlier copies it reused stay. Returns the first failure, or null.
     */
    RuntimeException undo() {
        RuntimeException failure = null;
        for (int i = created.size() - 1; i >= 0; i--) {
            try {
                destination.deleteSnapshot(created.get(i));
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        created.clear();
        return failure;
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
