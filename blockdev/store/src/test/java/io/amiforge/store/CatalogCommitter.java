package io.amiforge.store;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A child JVM of {@link InterleavedCommitsTest}: {@code committer DIR P N} opens the store with
 * a tiny compaction threshold (so compactions interleave with the other process's appends),
 * says "ready", waits for "go", then N times: creates volume P-k (a durable commit), writes it,
 * snapshots it (a lazy append), sets attribute n=k on that snapshot (durable), and from k = 1
 * deletes volume P-(k-1) (a deletion record). Prints "done".
 */
public final class CatalogCommitter {

    private CatalogCommitter() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String p = args[1];
        int n = Integer.parseInt(args[2]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.log.minCompactBytes = 2048;
            store.log.baseRatio = 0;
            System.out.println("ready");
            System.out.flush();
            if (!"go".equals(in.readLine())) {
                throw new IllegalStateException("expected 'go' on stdin");
            }
            byte[] block = new byte[4096];
            for (int k = 0; k < n; k++) {
                java.util.Arrays.fill(block, (byte) (k + 1));
                try (Volume v = store.createVolume(p + "-" + k, 1 << 16, VolumeOptions.defaults())) {
                    v.write(0, MemorySegment.ofArray(block));
                }
                String id = store.createSnapshot(p + "-" + k, p + "-" + k).id();
                store.setSnapshotAttribute(id, "n", Integer.toString(k));
                if (k > 0) {
                    store.deleteVolume(p + "-" + (k - 1));
                }
            }
        }
        System.out.println("done");
        System.out.flush();
    }
}
