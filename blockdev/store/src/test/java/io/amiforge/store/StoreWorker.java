package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * A child JVM of {@link MultiProcessTest}, one role per process, all on one store at once.
 * {@code writer V N}: opens volume V before it says "ready", writes block k % 16 with
 * {@link #value}(k) and takes snapshot "V-k", N times, then keeps V open until "stop" on stdin.
 * {@code snapshotter V N}: takes snapshot "V-k" of volume V (not held
 * between snapshots) and creates volume "V-vol-k" every tenth time. {@code reader V N HELD}: like
 * snapshotter, and also reads snapshots of volume HELD (another process's) and tries to open
 * HELD for writing, printing {@code refused MESSAGE}. Each waits for "go" on stdin first and
 * prints "done" at the end.
 */
public final class StoreWorker {

    static final int BLOCK = 4096;
    static final int BLOCKS = 16;

    private StoreWorker() {
    }

    /** The byte written by the k-th write of a writer (never 0). */
    static byte value(int k) {
        return (byte) (k % 251 + 1);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String role = args[1];
        String volume = args[2];
        int n = Integer.parseInt(args[3]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (SnapshotStore store = SnapshotStore.open(dir);
                Volume held = role.equals("writer") ? store.openVolume(volume) : null) {
            System.out.println("ready");
            System.out.flush();
            expect(in, "go");
            switch (role) {
                case "writer" -> {
                    write(store, held, volume, n);
                    expect(in, "stop"); // the others have finished: nobody may take the volume before
                }
                case "snapshotter" -> snapshot(store, volume, n, null);
                case "reader" -> snapshot(store, volume, n, args[4]);
                default -> throw new IllegalArgumentException(role);
            }
        }
        System.out.println("done");
        System.out.flush();
    }

    private static void expect(BufferedReader in, String word) throws java.io.IOException {
        String line = in.readLine();
        if (!word.equals(line)) {
            throw new IllegalStateException("expected '" + word + "' on stdin, got " + line);
        }
    }

    private static void write(SnapshotStore store, Volume v, String volume, int n) {
        byte[] data = new byte[BLOCK];
        for (int k = 0; k < n; k++) {
            java.util.Arrays.fill(data, value(k));
            v.write((long) (k % BLOCKS) * BLOCK, MemorySegment.ofArray(data));
            if (k % 7 == 0) {
                v.flush();
            }
            store.createSnapshot(volume, volume + "-" + k);
        }
    }

    private static void snapshot(SnapshotStore store, String volume, int n, String held) {
        Random random = new Random(n);
        byte[] block = new byte[BLOCK];
        for (int k = 0; k < n; k++) {
            store.createSnapshot(volume, volume + "-" + k);
            if (k % 10 == 0) {
                store.createVolume(volume + "-vol-" + k, BLOCK * BLOCKS, VolumeOptions.defaults()).close();
            }
            if (held == null) {
                continue;
            }
            List<SnapshotInfo> theirs = store.listSnapshots().stream()
                    .filter(s -> s.description().startsWith(held + "-")).toList();
            if (!theirs.isEmpty()) {
                SnapshotInfo s = theirs.get(random.nextInt(theirs.size()));
                int j = Integer.parseInt(s.description().substring(held.length() + 1));
                try (BlockDevice d = store.openSnapshot(s.id())) {
                    d.read((long) (j % BLOCKS) * BLOCK, MemorySegment.ofArray(block));
                }
                for (byte b : block) {
                    if (b != value(j)) {
                        throw new AssertionError("snapshot " + s.id() + " (" + s.description() + ") block " + (j % BLOCKS)
                                + " holds " + b + ", expected " + value(j));
                    }
                }
            }
            if (k % 25 == 0) {
                try (Volume _ = store.openVolume(held)) {
                    throw new AssertionError("opened " + held + " for writing while another process writes it");
                } catch (AmiforgeException e) {
                    System.out.println("refused " + e.code() + " " + e.getMessage());
                    System.out.flush();
                }
            }
        }
    }
}
