package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.store.objects.MemoryObjectStore;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The manifest-per-commit catalogue: checkpoints, damage, a put whose answer was lost. */
class RemoteCatalogTest {

    private static RemoteSnapshot record(String id, String parent) {
        return new RemoteSnapshot(id, "vol", parent, 1 << 20, 4096, "d " + id, Instant.parse("2026-01-01T00:00:00Z"), 1,
                "111122223333", List.of(), "layers/" + id + ".pack", 100, 7);
    }

    private static void commitChain(RemoteCatalog catalog, int from, int to) {
        for (int i = from; i < to; i++) {
            String parent = i == 0 ? null : "snap-" + (i - 1);
            RemoteSnapshot r = record("snap-" + i, parent);
            catalog.commit(records -> List.of(RemoteCatalog.Op.put(r)));
        }
    }

    @Test
    void aNewHandleReadsTheNewestCheckpointAndFallsBackPastADamagedOne() {
        MemoryObjectStore objects = new MemoryObjectStore();
        RemoteCatalog writer = new RemoteCatalog(objects, 3);
        commitChain(writer, 0, 10);
        writer.commit(records -> List.of(RemoteCatalog.Op.delete("snap-4")));
        assertThat(objects.list(RemoteCatalog.CHECKPOINTS)).hasSize(3); // after commits 3, 6, 9
        RemoteCatalog reader = new RemoteCatalog(objects, 3);
        assertThat(reader.seq()).isEqualTo(11);
        assertThat(reader.snapshot()).isEqualTo(writer.snapshot()).hasSize(9).doesNotContainKey("snap-4");

        objects.corrupt(RemoteCatalog.checkpointKey(9), 40);
        RemoteCatalog fallback = new RemoteCatalog(objects, 3);
        assertThat(fallback.snapshot()).isEqualTo(writer.snapshot());

        objects.corrupt(RemoteCatalog.manifestKey(10), 30);
        assertThatThrownBy(() -> new RemoteCatalog(objects, 3)).isInstanceOfSatisfying(AmiforgeException.class,
                e -> assertThat(e.code()).isEqualTo("CorruptData")).hasMessageContaining(RemoteCatalog.manifestKey(10));
    }

    @Test
    void aCommitWhoseAnswerWasLostCountsOnceAndALostRaceIsRetriedOnTheNewState() {
        MemoryObjectStore objects = new MemoryObjectStore();
        RemoteCatalog a = new RemoteCatalog(objects, 100);
        RemoteCatalog b = new RemoteCatalog(objects, 100);
        commitChain(a, 0, 1);
        objects.failRequests(1, 1, MemoryObjectStore.Fault.PARTIAL); // the refresh passes, the put is stored but its answer lost
        RemoteSnapshot one = record("snap-1", "snap-0");
        a.commit(records -> List.of(RemoteCatalog.Op.put(one)));
        assertThat(a.seq()).isEqualTo(2);
        assertThat(objects.list(RemoteCatalog.MANIFESTS)).hasSize(2);

        // another host (a) wins the number b computed its change for: b re-reads, sees a's record, tries the next number
        int[] calls = {0};
        b.commit(records -> {
            calls[0]++;
            if (calls[0] == 1) {
                assertThat(records).containsOnlyKeys("snap-0", "snap-1");
                a.commit(r -> List.of(RemoteCatalog.Op.put(record("snap-x", "snap-1"))));
            } else {
                assertThat(records).containsKey("snap-x");
            }
            return List.of(RemoteCatalog.Op.put(record("snap-2", "snap-1")));
        });
        assertThat(calls[0]).isEqualTo(2);
        assertThat(b.seq()).isEqualTo(4);
        assertThat(b.attempts()).isEqualTo(2);
        assertThat(new RemoteCatalog(objects, 100).snapshot()).containsOnlyKeys("snap-0", "snap-1", "snap-x", "snap-2");
    }
}
