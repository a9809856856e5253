package io.amiforge.store.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every rule in {@link ObjectStore}'s Javadoc, for any implementation: a subclass supplies the
 * store (shared by its tests; each test works under its own random key prefix) and the part size
 * above which {@code putFile} splits an upload, so that the multipart path is exercised.
 */
public abstract class ObjectStoreContract {

    @TempDir
    private Path tmp;

    /** This test's key prefix, so tests sharing a store never see each other's objects. */
    protected String ns;

    /** For subclasses, one per implementation. */
    protected ObjectStoreContract() {
    }

    /** The store under test; the same instance for every test of the class is fine. */
    protected abstract ObjectStore store();

    /** A length that {@code putFile} uploads in several parts and {@code read} fetches in several ranges. */
    protected abstract int multipartLength();

    @BeforeEach
    void namespace() {
        ns = "t-" + UUID.randomUUID() + "/";
    }

    /** {@code s} in UTF-8: a small object's body. */
    protected static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static byte[] random(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    protected Path file(byte[] content) throws IOException {
        return Files.write(Files.createTempFile(tmp, "body", ".bin"), content);
    }

    @Test
    void putThenGetHeadAndReplace() {
        byte[] first = text("first");
        store().put(ns + "a", first);
        assertThat(store().get(ns + "a")).isEqualTo(first);
        ObjectInfo info = store().head(ns + "a");
        assertThat(info.key()).isEqualTo(ns + "a");
        assertThat(info.size()).isEqualTo(first.length);
        assertThat(info.etag()).isNotBlank();
        byte[] second = random(1000, 1);
        store().put(ns + "a", second);
        assertThat(store().get(ns + "a")).isEqualTo(second);
        assertThat(store().head(ns + "a").size()).isEqualTo(1000);
        store().put(ns + "empty", new byte[0]);
        assertThat(store().get(ns + "empty")).isEmpty();
    }

    @Test
    void missingKeyIsNotFoundNamingTheKey() {
        String key = ns + "missing";
        assertThat(store().head(key)).isNull();
        assertThatThrownBy(() -> store().get(key)).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining(key)
                .satisfies(e -> assertThat(((AmiforgeException) e).kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND));
        assertThatThrownBy(() -> store().read(key, 0, ByteBuffer.allocate(10))).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining(key)
                .satisfies(e -> assertThat(((AmiforgeException) e).kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND));
    }

    @Test
    void readBeyondTheEndIsNotFound() {
        store().put(ns + "short", random(100, 2));
        for (long offset : new long[] {100, 50, 1000}) {
            assertThatThrownBy(() -> store().read(ns + "short", offset, ByteBuffer.allocate(60)))
                    .isInstanceOf(ObjectStoreException.class).hasMessageContaining(ns + "short")
                    .satisfies(e -> assertThat(((AmiforgeException) e).kind()).isEqualTo(AmiforgeException.Kind.NOT_FOUND));
        }
    }

    @Test
    void putIfAbsentCreatesOnce() {
        assertThat(store().putIfAbsent(ns + "once", new byte[] {1})).isTrue();
        assertThat(store().putIfAbsent(ns + "once", new byte[] {2})).isFalse();
        assertThat(store().get(ns + "once")).containsExactly(1);
    }

    @Test
    void concurrentPutIfAbsentHasExactlyOneWinner() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 20; round++) {
                String key = ns + "race-" + round;
                CyclicBarrier barrier = new CyclicBarrier(threads);
                List<Future<Boolean>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    byte[] body = text("writer " + t);
                    results.add(pool.submit(() -> {
                        barrier.await();
                        return store().putIfAbsent(key, body);
                    }));
                }
                int winner = -1;
                for (int t = 0; t < threads; t++) {
                    if (results.get(t).get()) {
                        assertThat(winner).as("round %d: writers %d and %d both won", round, winner, t).isEqualTo(-1);
                        winner = t;
                    }
                }
                assertThat(winner).as("round %d: nobody won", round).isNotEqualTo(-1);
                assertThat(new String(store().get(key), StandardCharsets.UTF_8)).isEqualTo("writer " + winner);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void putFileSmallAndMultipartRegionsReadBackWhole() throws IOException {
        int length = multipartLength();
        byte[] content = random(length + 5000, 3);
        Path file = file(content);
        store().putFile(ns + "big", file, 1234, length);
        store().putFile(ns + "small", file, 17, 4096);
        assertThat(store().head(ns + "big").size()).isEqualTo(length);
        ByteBuffer whole = ByteBuffer.allocate(length);
        store().read(ns + "big", 0, whole);
        assertThat(whole.position()).isEqualTo(length);
        assertThat(whole.array()).isEqualTo(java.util.Arrays.copyOfRange(content, 1234, 1234 + length));
        assertThat(store().get(ns + "small")).isEqualTo(java.util.Arrays.copyOfRange(content, 17, 17 + 4096));
        ByteBuffer direct = ByteBuffer.allocateDirect(length);
        direct.position(100).limit(100 + length - 7777);
        store().read(ns + "big", 7777, direct);
        assertThat(direct.position()).isEqualTo(100 + length - 7777);
        byte[] got = new byte[length - 7777];
        direct.position(100);
        direct.get(got);
        assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(content, 1234 + 7777, 1234 + length));
    }

    @Test
    void putFileOutsideTheFileIsRefused() throws IOException {
        Path file = file(random(100, 4));
        assertThatThrownBy(() -> store().putFile(ns + "x", file, 50, 51)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining(file.toString());
        assertThat(store().head(ns + "x")).isNull();
    }

    @Test
    void interruptedPutFileLeavesNoObject() throws Exception {
        int length = multipartLength();
        Path file = file(random(length, 5));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread preInterrupted = Thread.ofPlatform().start(() -> {
            Thread.currentThread().interrupt();
            try {
                store().putFile(ns + "pre", file, 0, length);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        preInterrupted.join();
        assertThat(failure.get()).isInstanceOf(ObjectStoreException.class);
        assertThat(store().head(ns + "pre")).isNull();
        // interrupted while parts are in flight: either it failed and left nothing, or it finished whole
        failure.set(null);
        Thread uploader = Thread.ofPlatform().start(() -> {
            try {
                store().putFile(ns + "mid", file, 0, length);
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        Thread.sleep(30);
        uploader.interrupt();
        uploader.join();
        ObjectInfo mid = store().head(ns + "mid");
        if (failure.get() != null) {
            assertThat(failure.get()).isInstanceOf(ObjectStoreException.class);
            assertThat(mid).isNull();
        } else {
            assertThat(mid.size()).isEqualTo(length);
        }
        assertThat(store().list(ns)).extracting(ObjectInfo::key).doesNotContain(ns + "pre");
        store().abortStaleUploads(ns, 0);
        assertThat(store().abortStaleUploads(ns, 0)).isZero();
    }

    @Test
    void listReturnsEveryPageInKeyOrder() throws Exception {
        int count = 1010; // S3 pages hold 1000 keys
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                String key = ns + "many/" + String.format("%05d", (i * 7919) % count);
                puts.add(pool.submit(() -> store().put(key, new byte[] {7})));
            }
            for (Future<?> f : puts) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        store().put(ns + "other", new byte[3]);
        List<ObjectInfo> listed = store().list(ns + "many/");
        assertThat(listed).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(listed.get(i).key()).isEqualTo(ns + "many/" + String.format("%05d", i));
            assertThat(listed.get(i).size()).isEqualTo(1);
        }
        assertThat(store().list(ns)).hasSize(count + 1);
        assertThat(store().list(ns + "nothing")).isEmpty();
    }

    @Test
    void deleteRemovesAndMissingIsNoError() {
        store().put(ns + "d", new byte[] {1, 2});
        store().delete(ns + "d");
        assertThat(store().head(ns + "d")).isNull();
        store().delete(ns + "d");
        store().delete(ns + "never");
    }

    @Test
    void methodsMayBeCalledFromManyThreadsAtOnce() throws Exception {
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                work.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        byte[] body = random(10_000 + id, id * 100L + i);
                        String key = ns + "mt/" + id + "/" + i;
                        store().put(key, body);
                        ByteBuffer part = ByteBuffer.allocate(100);
                        store().read(key, 500, part);
                        assertThat(part.array()).isEqualTo(java.util.Arrays.copyOfRange(body, 500, 600));
                        assertThat(store().get(key)).isEqualTo(body);
                    }
                    return null;
                }));
            }
            for (Future<?> f : work) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(store().list(ns + "mt/")).hasSize(threads * 10);
    }
}
