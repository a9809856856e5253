package io.amiforge.store.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.store.objects.ObjectStoreException;
import io.amiforge.testkit.CephGateway;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway stopped while reads run: they fail with a clear {@code ObjectStoreUnavailable}
 * naming the key (after the bounded retries, never hanging), and the same store handle reads
 * correct data again once the gateway is back.
 */
@Tag("interop")
@Tag("ceph")
class S3ObjectStoreOutageTest {

    private static CephStore fixture;
    private static S3ObjectStore store;
    private static CephGateway ceph;

    @BeforeAll
    static void startCeph() {
        fixture = CephStore.start("s3://outage/p",
                c -> c.withRead(256 << 10, 2).withRetries(3, Duration.ofSeconds(5), Duration.ofSeconds(1)));
        store = fixture.store();
        ceph = fixture.ceph();
    }

    @AfterAll
    static void stopCeph() {
        CephStore.close(fixture);
    }

    @Test
    @Timeout(120)
    void gatewayStoppedMidReadFailsClearlyThenRecovers() throws Exception {
        byte[] data = new byte[8 << 20];
        new Random(17).nextBytes(data);
        store.put("blob", data);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicInteger reads = new AtomicInteger();
        Thread reader = Thread.ofPlatform().start(() -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect(data.length);
            try {
                while (true) {
                    buffer.clear();
                    store.read("blob", 0, buffer);
                    buffer.flip();
                    assertThat(buffer).isEqualTo(ByteBuffer.wrap(data));
                    reads.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        while (reads.get() < 2 && reader.isAlive()) {
            Thread.sleep(10);
        }
        ceph.stopGateway();
        reader.join();
        assertThat(failure.get()).isInstanceOf(ObjectStoreException.class)
                .hasMessageContaining("s3://outage/p").hasMessageContaining("blob").hasMessageContaining("unavailable")
                .satisfies(e -> assertThat(((ObjectStoreException) e).code()).isEqualTo("ObjectStoreUnavailable"));

        assertThatThrownBy(() -> store.get("blob")).isInstanceOf(ObjectStoreException.class)
                .satisfies(e -> assertThat(((ObjectStoreException) e).code()).isEqualTo("ObjectStoreUnavailable"));
        assertThatThrownBy(() -> store.putIfAbsent("new", new byte[1])).isInstanceOf(ObjectStoreException.class)
                .satisfies(e -> assertThat(((ObjectStoreException) e).code()).isEqualTo("ObjectStoreUnavailable"));

        ceph.startGateway();
        ByteBuffer again = ByteBuffer.allocate(data.length);
        store.read("blob", 0, again);
        assertThat(again.array()).isEqualTo(data);
        assertThat(store.putIfAbsent("new", new byte[1])).isTrue();
    }
}
