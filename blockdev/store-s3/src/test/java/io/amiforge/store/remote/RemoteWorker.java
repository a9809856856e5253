package io.amiforge.store.remote;

import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStores;
import io.amiforge.testkit.CephGateway;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

/**
 * A child JVM of {@link RemoteMultiProcessTest}: one host. Arguments: object-store URL
 * ({@code file:///DIR} or {@code s3://BUCKET/PREFIX}, then a seventh argument: the endpoint of a
 * test Ceph gateway with its fixed keys), local directory, volume name, volume blocks (4 KiB), snapshots to take, blocks changed per snapshot.
 * Before snapshot k it writes block {@code k % blocks} full of byte {@code k} (and other random
 * blocks), and prints {@code snap <id>} once the snapshot is committed; {@code done} at the end.
 */
public final class RemoteWorker {

    static final int BLOCK = 4096;

    private RemoteWorker() {
    }

    static byte value(int k) {
        return (byte) (k * 7 + 1);
    }

    public static void main(String[] args) {
        String url = args[0];
        Path local = Path.of(args[1]);
        String volume = args[2];
        long blocks = Long.parseLong(args[3]);
        int count = Integer.parseInt(args[4]);
        int churn = Integer.parseInt(args[5]);
        Random random = new Random(volume.hashCode());
        byte[] block = new byte[BLOCK];
        try (ObjectStore objects = ObjectStores.open(url, settings(args.length > 6 ? args[6] : null));
                RemoteSnapshotStore store = RemoteSnapshotStore.open(objects, local, new RemoteOptions(8L << 20, 64 << 10, 8));
                Volume v = store.local().createVolume(volume, blocks * BLOCK, VolumeOptions.defaults())) {
            for (int k = 0; k < count; k++) {
                for (int i = 0; i < churn; i++) {
                    random.nextBytes(block);
                    v.write(random.nextLong(blocks) * BLOCK, MemorySegment.ofArray(block));
                }
                Arrays.fill(block, value(k));
                v.write((k % blocks) * BLOCK, MemorySegment.ofArray(block));
                String id = store.createSnapshot(volume, volume + "-" + k).id();
                System.out.println("snap " + id);
                System.out.flush();
            }
        }
        System.out.println("done");
    }

    /** The S3 settings for a test gateway at {@code endpoint}; none when it is null. */
    static Map<String, String> settings(String endpoint) {
        if (endpoint == null) {
            return Map.of();
        }
        return Map.of("AWS_ENDPOINT_URL_S3", endpoint, "AWS_REGION", CephGateway.REGION,
                "AWS_ACCESS_KEY_ID", CephGateway.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", CephGateway.SECRET_KEY);
    }
}
