package io.amiforge.store.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-memory object store keeps the {@link ObjectStore} contract, and its fault hook does what it says. */
class MemoryObjectStoreTest {

    @TempDir
    Path dir;

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void putIfAbsentHasExactlyOneWinnerAmongRacingThreads() throws Exception {
        MemoryObjectStore store = new MemoryObjectStore();
        for (int round = 0; round < 50; round++) {
            String key = "k" + round;
            AtomicInteger winners = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                byte[] body = text("writer " + t);
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    if (store.putIfAbsent(key, body)) {
                        winners.incrementAndGet();
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertThat(winners.get()).as(key).isEqualTo(1);
        }
    }

    @Test
    void readsListsAndMissingKeysFollowTheContract() throws Exception {
        MemoryObjectStore store = new MemoryObjectStore();
        store.put("b/2", text("two"));
        store.put("a/1", text("one"));
        Path file = dir.resolve("f");
        Files.write(file, text("xxhello worldyy"));
        store.putFile("b/1", file, 2, 11);
        assertThat(store.list("b/")).extracting(ObjectInfo::key).containsExactly("b/1", "b/2");
        assertThat(new String(store.get("b/1"), StandardCharsets.UTF_8)).isEqualTo("hello world");
        ByteBuffer part = ByteBuffer.allocate(5);
        store.read("b/1", 6, part);
        assertThat(new String(part.array(), StandardCharsets.UTF_8)).isEqualTo("world");
        assertThat(store.head("b/1").size()).isEqualTo(11);
        assertThat(store.head("nope")).isNull();
        assertThatThrownBy(() -> store.get("nope")).isInstanceOfSatisfying(ObjectStoreException.class,
                e -> assertThat(e.code()).isEqualTo("ObjectNotFound")).hasMessageContaining("nope");
        assertThatThrownBy(() -> store.read("b/1", 8, ByteBuffer.allocate(5))).isInstanceOfSatisfying(ObjectStoreException.class,
                e -> assertThat(e.code()).isEqualTo("ObjectNotFound")).hasMessageContaining("b/1").hasMessageContaining("at 8");
        store.delete("b/1");
        store.delete("b/1");
        assertThat(store.list("")).extracting(ObjectInfo::key).containsExactly("a/1", "b/2");
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
