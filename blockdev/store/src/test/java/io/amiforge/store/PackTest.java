package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import io.amiforge.testkit.FaultInjection;
import io.amiforge.testkit.StateSnapshots;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packing a chain's small layers ({@link SnapshotStore#pack}): every snapshot and volume reads
 * exactly as before (checked against the contents read before the pack, in the same process and
 * after a reopen), the packed layers share one data file, later merges into packed layers and a
 * repack keep everything intact, and a pack that fails at any file operation leaves the old or the
 * new layers, never lost data, with its leftovers removed by the next pack.
 */
class PackTest {

    static final int BS = 4096;
    static final int BLOCKS = 48;

    @TempDir
    Path tmp;

    @Test
    void packKeepsEverySnapshotIdenticalThroughMergesAndRepacks() throws Exception {
        for (long seed = 1; seed <= 6; seed++) {
            Path dir = tmp.resolve("s" + seed);
            Random random = new Random(seed);
            try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
                List<String> chain = buildChain(store, random, 12 + random.nextInt(20));
                // a branch: a clone of a middle snapshot with its own snapshots
                String middle = chain.get(chain.size() / 2);
                store.cloneVolume(middle, "branch").close();
                writeRandom(store, "branch", random, 5);
                store.createSnapshot("branch", "branch-1");
                Map<String, byte[]> before = contents(store);
                Map<String, byte[]> volumesBefore = volumeContents(store);
                String top = chain.getLast();
                int filesBefore = dataFiles(dir);
                try (Volume open = store.openVolume("disk"); BlockDevice openSnap = store.openSnapshot(middle)) {
                    PackReport report = store.pack(top);
                    assertThat(report.layers()).as("seed %d", seed).isGreaterThanOrEqualTo(2);
                    assertThat(report.bytes()).isEqualTo(report.blocks() * BS);
                    // handles opened before the pack still read the same
                    assertThat(read(open)).isEqualTo(volumesBefore.get("disk"));
                    assertThat(read(openSnap)).isEqualTo(before.get(middle));
                }
                assertThat(dataFiles(dir)).as("distinct data files after the pack").isLessThan(filesBefore);
                assertThat(Files.readString(dir.resolve("FORMAT"))).as("an amiforge without packs refuses the store")
                        .isEqualTo(SnapshotStore.FORMAT_NAME + " " + SnapshotStore.PACKED_FORMAT_VERSION + "\n");
                assertSame(store, before, "after the pack, seed " + seed);
                assertThat(volumeContents(store)).as("volumes").containsExactlyInAnyOrderEntriesOf(volumesBefore);
                assertThat(store.pack(top).layers()).as("a packed chain is not packed again").isZero();
                assertThat(store.verify().ok()).isTrue();
            }
            try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
                Map<String, byte[]> before = contents(store);
                // delete packed snapshots: their blocks merge into packed children (appended to the shared pack)
                List<String> ids = new ArrayList<>(before.keySet());
                for (int i = 0; i < 3; i++) {
                    String victim = ids.remove(1 + random.nextInt(ids.size() - 2));
                    store.deleteSnapshot(victim);
                    before.remove(victim);
                    assertSame(store, before, "after deleting " + victim + ", seed " + seed);
                }
                writeRandom(store, "disk", random, 4);
                String fresh = store.createSnapshot("disk", "after").id();
                writeRandom(store, "disk", random, 4);
                String fresher = store.createSnapshot("disk", "after-2").id();
                before = contents(store);
                assertThat(store.pack(fresher).layers()).as("repack with new small layers").isGreaterThanOrEqualTo(2);
                assertSame(store, before, "after the repack, seed " + seed);
                assertThat(store.verify().ok()).as("verify").isTrue();
                assertThat(before).containsKey(fresh);
            }
            try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
                assertThat(store.verify().ok()).isTrue();
                assertThat(layerIds(dir)).as("no leftover files").isSubsetOf(namedLayers(store));
            }
        }
    }

    @Test
    void chainWithoutTwoSmallLayersIsLeftAlone() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(tmp.resolve("one"), AutoPack.OFF)) {
            List<String> chain = buildChain(store, new Random(3), 1);
            assertThat(store.pack(chain.getFirst())).isEqualTo(new PackReport(0, 0, 0));
        }
    }

    @Test
    void aClosedVolumeOnTheChainIsLockedForThePackAndGivenBack() throws Exception {
        Path dir = tmp.resolve("clone");
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
            List<String> chain = buildChain(store, new Random(9), 6);
            store.cloneVolume(chain.getLast(), "clone").close(); // reads through every snapshot the pack replaces
            writeRandom(store, "clone", new Random(10), 2);
            String onClone = store.createSnapshot("clone", "on the clone").id();
            store.cloneVolume(onClone, "deep").close(); // reads through them too, two steps removed
            Map<String, byte[]> expected = contents(store);
            Set<String> layersBefore = namedLayers(store);
            for (String volume : List.of("clone", "deep")) {
                try (StoreLock elsewhere = StoreLock.tryAcquire(dir.resolve("locks").resolve(volume + ".lock"),
                        "volume " + volume + ", held by a test")) {
                    assertThat(elsewhere).isNotNull();
                    assertThatThrownBy(() -> store.pack(chain.getLast())).isInstanceOf(StoreException.class)
                            .hasMessageContaining("volume " + volume);
                }
            }
            assertThat(namedLayers(store)).as("a refused pack changes nothing").isEqualTo(layersBefore);
            assertThat(layerIds(dir)).as("and leaves no file").isSubsetOf(layersBefore);
            assertThat(store.pack(chain.getLast()).layers()).isEqualTo(6);
            assertSame(store, expected, "after the pack, the clones included");
            for (String volume : List.of("clone", "deep")) {
                try (StoreLock free = StoreLock.tryAcquire(dir.resolve("locks").resolve(volume + ".lock"), "volume " + volume)) {
                    assertThat(free).as("the pack gave the lock of %s back", volume).isNotNull();
                }
            }
        }
    }

    @Test
    void failedPackLeavesOldOrNewAndTheNextPackCleansUp() throws Exception {
        Path base = tmp.resolve("base");
        String top;
        Map<String, byte[]> expected;
        try (SnapshotStore store = SnapshotStore.open(base, AutoPack.OFF)) {
            top = buildChain(store, new Random(42), 6).getLast();
            expected = contents(store);
        }
        Set<String> layersBefore = layerIds(base);
        boolean sawOld = false;
        for (int n = 1; ; n++) {
            assertThat(n).as("file operations of one pack").isLessThan(200);
            Path dir = StateSnapshots.copyTree(base, tmp.resolve("n" + n));
            FaultInjection faults = FaultInjection.failNth(n);
            FileOps hook = (o, path) -> faults.before(o.name(), path);
            Throwable failure = null;
            try (SnapshotStore s = SnapshotStore.open(dir, hook, AutoPack.OFF)) {
                s.pack(top);
            } catch (Throwable t) {
                failure = t;
            }
            if (!faults.fired()) {
                assertThat(failure).as("no fault injected").isNull();
                assertThat(sawOld).as("some faults left the old layers").isTrue();
                return;
            }
            String where = "fault at file operation " + n + " (" + failure + ")";
            try (SnapshotStore s = SnapshotStore.open(dir, AutoPack.OFF)) {
                assertSame(s, expected, where);
                assertThat(s.verify().ok()).as(where + ": verify").isTrue();
                Set<String> named = namedLayers(s);
                if (named.containsAll(layersBefore)) {
                    sawOld = true;
                } else {
                    assertThat(named).as(where + ": the old layers or the new, not a mix").noneMatch(layersBefore::contains);
                }
                s.pack(top); // the retry (a no-op when the pack was committed) sweeps what the failed one left
                assertSame(s, expected, where + ", after the retry");
                assertThat(layerIds(dir)).as(where + ": leftover files after the retry").isSubsetOf(namedLayers(s));
                assertThat(namedLayers(s)).as(where + ": packed after the retry").noneMatch(layersBefore::contains);
            }
        }
    }

    @Test
    void damagedBlockStopsThePackAndChangesNothing() throws Exception {
        Path dir = tmp.resolve("damaged");
        String top;
        Set<String> named;
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
            top = buildChain(store, new Random(5), 5).getLast();
            named = namedLayers(store);
        }
        // flip one byte of the base layer's data (every block of it is live somewhere in the chain's views)
        Path damaged;
        try (Stream<Path> files = Files.list(dir.resolve("layers"))) {
            damaged = files.filter(f -> f.toString().endsWith(".dat")).max(Comparator.comparingLong(f -> f.toFile().length()))
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(damaged);
        bytes[BS + 17] ^= 0x40;
        Files.write(damaged, bytes);
        try (SnapshotStore store = SnapshotStore.open(dir, AutoPack.OFF)) {
            assertThatThrownBy(() -> store.pack(top)).isInstanceOf(BlockDeviceException.Corrupt.class)
                    .hasMessageContaining("is damaged").hasMessageContaining("nothing was packed");
            assertThat(namedLayers(store)).isEqualTo(named);
            assertThat(layerIds(dir)).as("the failed pack's files are gone").isSubsetOf(named);
            assertThat(Files.readString(dir.resolve("FORMAT"))).endsWith(" " + SnapshotStore.FORMAT_VERSION + "\n");
        }
    }

    /** A volume "disk" with a base snapshot writing every block, then {@code depth - 1} snapshots of a few random blocks each. */
    static List<String> buildChain(SnapshotStore store, Random random, int depth) {
        List<String> ids = new ArrayList<>();
        store.createVolume("disk", (long) BLOCKS * BS, VolumeOptions.defaults()).close();
        try (Volume v = store.openVolume("disk")) {
            for (int b = 0; b < BLOCKS; b++) {
                v.write((long) b * BS, block(random));
            }
            v.flush();
        }
        ids.add(store.createSnapshot("disk", "base").id());
        for (int i = 1; i < depth; i++) {
            writeRandom(store, "disk", random, 1 + random.nextInt(6));
            ids.add(store.createSnapshot("disk", "layer " + i).id());
        }
        return ids;
    }

    /** {@code count} random block writes (some all zero, some discards) to volume {@code name}. */
    static void writeRandom(SnapshotStore store, String name, Random random, int count) {
        try (Volume v = store.openVolume(name)) {
            for (int i = 0; i < count; i++) {
                long at = (long) random.nextInt(BLOCKS) * BS;
                int kind = random.nextInt(10);
                if (kind == 0) {
                    v.discard(at, BS);
                } else if (kind == 1) {
                    v.write(at, MemorySegment.ofArray(new byte[BS]));
                } else {
                    v.write(at, block(random));
                }
            }
            v.flush();
        }
    }

    static MemorySegment block(Random random) {
        byte[] b = new byte[BS];
        random.nextBytes(b);
        return MemorySegment.ofArray(b);
    }

    static byte[] read(BlockDevice d) {
        byte[] out = new byte[(int) d.size()];
        d.read(0, MemorySegment.ofArray(out));
        return out;
    }

    static Map<String, byte[]> contents(SnapshotStore store) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (SnapshotInfo i : store.listSnapshots()) {
            try (BlockDevice d = store.openSnapshot(i.id())) {
                out.put(i.id(), read(d));
            }
        }
        return out;
    }

    private static Map<String, byte[]> volumeContents(SnapshotStore store) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (VolumeInfo i : store.listVolumes()) {
            try (Volume v = store.openVolume(i.name())) {
                out.put(i.name(), read(v));
            }
        }
        return out;
    }

    static void assertSame(SnapshotStore store, Map<String, byte[]> expected, String when) {
        Map<String, byte[]> actual = contents(store);
        assertThat(actual.keySet()).as(when).containsExactlyInAnyOrderElementsOf(expected.keySet());
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            byte[] got = actual.get(e.getKey());
            int at = Arrays.mismatch(got, e.getValue());
            assertThat(at).as("%s: snapshot %s differs first at byte %d", when, e.getKey(), at).isNegative();
        }
    }

    static Set<String> namedLayers(SnapshotStore s) {
        Set<String> live = new TreeSet<>();
        s.catalog.volumes.values().forEach(v -> live.add(v.layer));
        s.catalog.snapshots.values().forEach(r -> live.add(r.layer));
        return live;
    }

    static Set<String> layerIds(Path dir) throws IOException {
        Set<String> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir.resolve("layers"))) {
            files.map(p -> p.getFileName().toString()).forEach(name -> ids.add(name.substring(0, name.indexOf('.'))));
        }
        return ids;
    }

    /** Distinct data files (inodes) in the store's layers directory. */
    static int dataFiles(Path dir) throws IOException {
        Set<Object> keys = new HashSet<>();
        try (Stream<Path> files = Files.list(dir.resolve("layers"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".dat")).toList()) {
                keys.add(Files.readAttributes(p, BasicFileAttributes.class).fileKey());
            }
        }
        return keys.size();
    }
}
