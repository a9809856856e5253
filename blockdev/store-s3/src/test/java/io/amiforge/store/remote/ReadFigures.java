package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.objects.DirectoryObjectStore;
import io.amiforge.store.objects.ObjectStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Not a test: a figure. Publishes a 256 MiB snapshot to a {@code file:///} object store, then
 * reads it cold on a second handle (sequential 1 MiB reads) and warm (random 4 KiB reads, the
 * same sequence on the local snapshot and the remote one, three rounds). Arguments: the number
 * of random reads (default 2,000,000), a scratch directory (default a temporary one). Run with
 * the test class path (see docs/snapshot-store.md, "On an object store").
 */
public final class ReadFigures {

    private ReadFigures() {
    }

    public static void main(String[] args) throws Exception {
        int reads = args.length > 0 ? Integer.parseInt(args[0]) : 2_000_000;
        Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("amiforge-figures");
        long size = 256L << 20;
        try (ObjectStore objects = new DirectoryObjectStore(dir.resolve("bucket"));
                RemoteSnapshotStore a = RemoteSnapshotStore.open(objects, dir.resolve("a"), RemoteOptions.defaults());
                RemoteSnapshotStore b = RemoteSnapshotStore.open(objects, dir.resolve("b"), RemoteOptions.defaults())) {
            String id;
            try (Volume v = a.local().createVolume("v", size, VolumeOptions.defaults())) {
                byte[] chunk = new byte[4 << 20];
                Random r = new Random(1);
                for (long p = 0; p < size; p += chunk.length) {
                    r.nextBytes(chunk);
                    v.write(p, MemorySegment.ofArray(chunk));
                }
                v.flush();
                long t0 = System.nanoTime();
                id = a.createSnapshot("v", "figure").id();
                report("snapshot create (pack + upload + commit)", size, System.nanoTime() - t0);
            }
            MemorySegment big = Arena.ofAuto().allocate(1 << 20, 4096);
            try (BlockDevice cold = b.openSnapshot(id)) {
                long t0 = System.nanoTime();
                for (long p = 0; p < size; p += big.byteSize()) {
                    cold.read(p, big);
                }
                report("cold sequential read, second handle", size, System.nanoTime() - t0);
            }
            try (BlockDevice local = a.local().openSnapshot(id); BlockDevice remote = b.openSnapshot(id)) {
                MemorySegment buf = Arena.ofAuto().allocate(4096, 4096);
                for (int round = 0; round < 3; round++) {
                    for (BlockDevice d : List.of(local, remote)) {
                        Random r = new Random(7);
                        long blocks = size / 4096;
                        long t0 = System.nanoTime();
                        for (int i = 0; i < reads; i++) {
                            d.read(r.nextLong(blocks) * 4096, buf);
                        }
                        long t = System.nanoTime() - t0;
                        System.out.printf("warm random 4 KiB, %s: %.0f reads/s (%.2f us/read)%n", d == local ? "local store" : "remote, cached",
                                reads / (t / 1e9), t / 1e3 / reads);
                    }
                }
            }
            System.out.println(b.cacheStats());
        }
    }

    private static void report(String what, long bytes, long nanos) {
        System.out.printf("%s: %.0f MiB/s (%d MiB in %.2f s)%n", what, bytes / (nanos / 1e9) / (1 << 20), bytes >> 20, nanos / 1e9);
    }
}
