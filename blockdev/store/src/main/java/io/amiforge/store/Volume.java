package io.amiforge.store;

import io.amiforge.blockdev.BlockDevice;

/**
 * A writable volume of a {@link SnapshotStore}: a block device over a chain of snapshots.
 * Unwritten blocks read as zeros. A returned write is in the page cache (survives the process
 * dying); a returned {@link #flush()} is fsynced (group commit). Closing a volume does not close
 * the store.
 */
public interface Volume extends BlockDevice {

    String volumeName();

    /** Live counters of this volume (since it was opened). */
    VolumeStats stats();
}
