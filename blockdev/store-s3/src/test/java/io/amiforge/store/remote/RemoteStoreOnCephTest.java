package io.amiforge.store.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.s3.S3Config;
import io.amiforge.store.s3.S3Location;
import io.amiforge.store.s3.S3ObjectStore;
import io.amiforge.testkit.CephGateway;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote tier on a real Ceph RADOS Gateway through {@link S3ObjectStore}: a cold cache on a
 * second host reads a 64-deep chain as the publishing host's local store does; a corrupted object
 * is named by verify and never read as data; the gateway stopped in the middle of reads gives a
 * clear {@code ObjectStoreUnavailable}, and the same handle reads correctly once it is back.
 */
@Tag("interop")
@Tag("ceph")
class RemoteStoreOnCephTest {

    private static final long SIZE = 16L << 20;
    private static final RemoteOptions SMALL = new RemoteOptions(64L << 20, 64 << 10, 16);

    private static CephGateway ceph;

    @TempDir
    Path dir;

    @BeforeAll
    static void startCeph() {
        ceph = CephGateway.start();
        try (S3ObjectStore bucket = objects("s3://remote/x")) {
            bucket.createBucketIfAbsent();
        }
    }

    @AfterAll
    static void stopCeph() {
        if (ceph != null) {
            ceph.close();
        }
    }

    private static S3ObjectStore objects(String url) {
        return new S3ObjectStore(S3Location.parse(url), S3Config.defaults().withEndpoint(ceph.endpoint().toString())
                .withRegion(CephGateway.REGION).withKeys(CephGateway.ACCESS_KEY, CephGateway.SECRET_KEY)
                .withRetries(2, Duration.ofSeconds(5), Duration.ofSeconds(1)));
    }

    private S3ObjectStore objects() {
        return objects("s3://remote/" + dir.getFileName());
    }

    @Test
    @Timeout(300)
    void aColdCacheOnASecondHostReadsA64DeepChainAsTheLocalStoreDoes() {
        List<String> ids = new ArrayList<>();
        Random random = new Random(64);
        try (S3ObjectStore hostA = objects(); S3ObjectStore hostB = objects();
                RemoteSnapshotStore a = RemoteSnapshotStore.open(hostA, dir.resolve("a"), SMALL);
                Volume v = a.local().createVolume("deep", SIZE, VolumeOptions.defaults())) {
            for (int i = 0; i < 64; i++) {
                Devices.scribble(v, random, 40);
                ids.add(a.createSnapshot("deep", "layer " + i).id());
            }
            try (RemoteSnapshotStore b = RemoteSnapshotStore.open(hostB, dir.resolve("b"), SMALL)) {
                assertThat(b.listSnapshots()).hasSize(64);
                for (String id : List.of(ids.get(0), ids.get(40), ids.get(63))) {
                    try (BlockDevice local = a.local().openSnapshot(id); BlockDevice remote = b.openSnapshot(id)) {
                        Devices.assertSameContents(local, remote);
                    }
                }
                assertThat(b.cacheStats().misses()).isPositive();
                assertThat(b.verify().clean()).isTrue();
            }
        }
    }

    @Test
    @Timeout(300)
    void aCorruptedObjectIsNamedByVerifyAndNeverReadAsData() {
        String id;
        try (S3ObjectStore objects = objects(); RemoteSnapshotStore a = RemoteSnapshotStore.open(objects, dir.resolve("a"), SMALL);
                Volume v = a.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
            Devices.scribble(v, new Random(7), 100);
            id = a.createSnapshot("root", "s").id();
            String key = "layers/" + id + ".pack";
            byte[] pack = objects.get(key);
            long dataAt = ByteBuffer.wrap(pack).order(ByteOrder.LITTLE_ENDIAN).getLong(40); // the first data block
            pack[(int) dataAt + 5] ^= 0x40;
            objects.put(key, pack); // damage behind the store's back, as a failing disk under the gateway would
            try (S3ObjectStore other = objects(); RemoteSnapshotStore b = RemoteSnapshotStore.open(other, dir.resolve("b"), SMALL)) {
                RemoteVerifyReport report = b.verify();
                assertThat(report.clean()).isFalse();
                assertThat(report.damage()).anySatisfy(line -> assertThat(line).contains(key).contains("byte offset " + dataAt));
                try (BlockDevice remote = b.openSnapshot(id)) {
                    assertThatThrownBy(() -> readAll(remote))
                            .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("CorruptData"))
                            .hasMessageContaining(key);
                }
            }
        }
    }

    @Test
    @Timeout(300)
    void theGatewayStoppedMidReadFailsClearlyAndTheSameHandleRecovers() {
        try (S3ObjectStore hostA = objects(); S3ObjectStore hostB = objects();
                RemoteSnapshotStore a = RemoteSnapshotStore.open(hostA, dir.resolve("a"), SMALL);
                Volume v = a.local().createVolume("root", SIZE, VolumeOptions.defaults())) {
            Devices.scribble(v, new Random(21), 500);
            String id = a.createSnapshot("root", "s").id();
            try (RemoteSnapshotStore b = RemoteSnapshotStore.open(hostB, dir.resolve("b"), SMALL);
                    BlockDevice remote = b.openSnapshot(id); BlockDevice local = a.local().openSnapshot(id)) {
                ceph.stopGateway();
                try {
                    assertThatThrownBy(() -> readAll(remote)).isInstanceOfSatisfying(AmiforgeException.class,
                            e -> assertThat(e.code()).isEqualTo("ObjectStoreUnavailable")).hasMessageContaining("layers/" + id + ".pack");
                } finally {
                    ceph.startGateway();
                }
                Devices.assertSameContents(local, remote);
            }
        }
    }

    private static void readAll(BlockDevice device) {
        MemorySegment buf = MemorySegment.ofArray(new byte[1 << 20]);
        for (long pos = 0; pos < device.size(); pos += buf.byteSize()) {
            device.read(pos, buf);
        }
    }
}
