package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-only store calls (volume and snapshot info, lists) skip the catalog lock while nobody
 * committed since the store last looked, and still see every commit of another store on the
 * same directory (here two instances in one JVM, which share the lock and the change counter as
 * two processes do).
 */
@Timeout(60)
class LockFreeReadTest {

    private static final long SIZE = 1 << 20;

    @TempDir
    Path dir;

    @Test
    void aReadWithNothingCommittedDoesNotWaitForTheCatalogLock() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir);
                Volume v = store.createVolume("a", SIZE, VolumeOptions.defaults())) {
            SnapshotInfo s = store.createSnapshot("a", "one");
            store.volume("a"); // the store has looked at the catalog since its last commit
            StoreLock held = StoreLock.acquire(dir.resolve("catalog.lock"), "catalog");
            try {
                CompletableFuture<String> read = CompletableFuture.supplyAsync(
                        () -> store.volume("a").name() + " " + store.snapshot(s.id()).description() + " "
                                + store.listVolumes().size() + " " + store.listSnapshots().size());
                assertThat(read.get(20, TimeUnit.SECONDS)).isEqualTo("a one 1 1");
                // a change still waits for the lock
                CompletableFuture<SnapshotInfo> change = CompletableFuture.supplyAsync(() -> store.createSnapshot("a", "two"));
                Thread.sleep(200);
                assertThat(change).isNotDone();
                held.close();
                assertThat(change.get(20, TimeUnit.SECONDS).description()).isEqualTo("two");
            } finally {
                held.close();
            }
            assertThat(v.size()).isEqualTo(SIZE);
        }
    }

    @Test
    void aReadAfterAnotherStoreCommittedSeesTheCommit() {
        try (SnapshotStore first = SnapshotStore.open(dir); SnapshotStore second = SnapshotStore.open(dir)) {
            assertThat(first.listVolumes()).isEmpty();
            try (Volume v = second.createVolume("b", SIZE, VolumeOptions.defaults())) {
                assertThat(v.size()).isEqualTo(SIZE);
            }
            assertThat(first.volume("b").size()).isEqualTo(SIZE);
            SnapshotInfo s = second.createSnapshot("b", "from the second");
            assertThat(first.snapshot(s.id()).description()).isEqualTo("from the second");
            assertThat(first.listSnapshots()).extracting(SnapshotInfo::id).containsExactly(s.id());
            second.deleteSnapshot(s.id());
            assertThatThrownBy(() -> first.snapshot(s.id())).hasMessageContaining(s.id());
            assertThat(first.listSnapshots()).isEmpty();
            second.deleteVolume("b");
            assertThatThrownBy(() -> first.volume("b")).hasMessageContaining("b");
            assertThat(first.listVolumes()).isEmpty();
        }
    }

    @Test
    void aFailedReadIsStillAFailureWhenNothingChanged() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.listVolumes();
            assertThatThrownBy(() -> store.volume("missing")).isInstanceOf(StoreException.class)
                    .hasMessageContaining("missing");
            assertThatThrownBy(() -> store.snapshot("snap-00000000000000000")).isInstanceOf(StoreException.class);
        }
    }
}
