package io.amiforge.store.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-memory object store keeps the {@link ObjectStore} contract, and its fault hook does what it says. */
class MemoryObjectStoreTest extends ObjectStoreContract {

    @TempDir
    Path dir;

    /** Made up front: the contract calls {@link #store()} from several threads at once (a lazy one raced and lost puts). */
    private final ObjectStore store = new MemoryObjectStore();

    @Override
    protected ObjectStore store() {
        return store;
    }

    @Override
    protected int multipartLength() {
        return 3 << 20;
    }


    @Test
    void injectedFaultsFailCleanlyOrHalfWayAndStaleUploadsAreAborted() throws Exception {
        AtomicLong now = new AtomicLong(1_000);
        MemoryObjectStore store = new MemoryObjectStore(now::get);
        Path file = dir.resolve("f");
        Files.write(file, new byte[1000]);
        store.failRequests(1, 2, MemoryObjectStore.Fault.FAIL);
        store.put("ok", text("1"));
        assertThatThrownBy(() -> store.put("x", text("2"))).isInstanceOfSatisfying(ObjectStoreException.class,
                e -> assertThat(e.code()).isEqualTo("ObjectStoreUnavailable"));
        assertThatThrownBy(() -> store.putFile("layers/y", file, 0, 1000)).isInstanceOf(ObjectStoreException.class);
        assertThat(store.head("x")).isNull();
        assertThat(store.head("layers/y")).isNull();
        assertThat(store.pendingUploads()).isZero();

        store.failRequests(0, 2, MemoryObjectStore.Fault.PARTIAL);
        assertThatThrownBy(() -> store.putFile("layers/z", file, 0, 1000)).isInstanceOf(ObjectStoreException.class);
        assertThatThrownBy(() -> store.putIfAbsent("c", text("3"))).isInstanceOf(ObjectStoreException.class);
        assertThat(store.head("layers/z")).isNull(); // an upload never shows half
        assertThat(new String(store.get("c"), StandardCharsets.UTF_8)).isEqualTo("3"); // applied, answer lost
        assertThat(store.pendingUploads()).isEqualTo(1);
        assertThat(store.abortStaleUploads("layers/", 500)).isZero(); // not stale yet
        now.addAndGet(1_000);
        assertThat(store.abortStaleUploads("other/", 500)).isZero();
        assertThat(store.abortStaleUploads("layers/", 500)).isEqualTo(1);
        assertThat(store.pendingUploads()).isZero();
        long before = store.requests();
        store.get("ok");
        assertThat(store.requests()).isEqualTo(before + 1);
    }

    @Test
    void corruptFlipsOneStoredByte() {
        MemoryObjectStore store = new MemoryObjectStore();
        store.put("k", new byte[] {1, 2, 3});
        store.corrupt("k", 1);
        assertThat(store.get("k")).containsExactly(1, ~2, 3);
        assertThatThrownBy(() -> store.corrupt("k", 3)).hasMessageContaining("no byte 3");
    }
}
