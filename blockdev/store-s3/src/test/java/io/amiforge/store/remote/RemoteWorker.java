package io.amiforge.store.remote;

import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.objects.DirectoryObjectStore;
import io.amiforge.store.objects.ObjectStore;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * A child JVM of {@link RemoteMultiProcessTest}: one host. Arguments: bucket directory, local
 * directory, volume name, volume blocks (4 KiB), snapshots to take, blocks changed per snapshot.
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
        Path bucket = Path.of(args[0]);
        Path local = Path.of(args[1]);
        String volume = args[2];
        long blocks = Long.parseLong(args[3]);
        int count = Integer.parseInt(args[4]);
        int churn = Integer.parseInt(args[5]);
        Random random = new Random(volume.hashCode());
        byte[] block = new byte[BLOCK];
        try (ObjectStore objects = new DirectoryObjectStore(bucket);
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
}
