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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract cases every {@link ObjectStore} here keeps: one winner of racing put-if-absent calls,
 * ranged reads, ordered listings, missing keys and ranges named in {@code ObjectNotFound}.
 */
abstract class ObjectStoreBasics {

    @TempDir
    Path dir;

    abstract ObjectStore newStore();

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void putIfAbsentHasExactlyOneWinnerAmongRacingThreads() throws Exception {
        ObjectStore store = newStore();
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
        ObjectStore store = newStore();
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
}
