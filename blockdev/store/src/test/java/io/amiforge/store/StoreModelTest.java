package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.IntRange;

/**
 * Model-based: random programs of write / discard / snapshot / clone / rollback /
 * delete-snapshot / flatten / delete-volume / pack / reopen run against the store and against a
 * trivially correct model (a byte array per volume and per snapshot), for every strategy
 * combination. After every step each volume and snapshot must read exactly as the model,
 * verify must be clean, a diff must cover every block that really differs, and the catalog's
 * kept count of what is built on each snapshot must equal a count made afresh.
 */
class StoreModelTest {

    private static final String[][] COMBOS = {{"row", "walk"}, {"row", "flat"}, {"cow", "walk"}, {"cow", "flat"}};

    @Property(tries = 25, shrinking = ShrinkingMode.OFF)
    void storeBehavesLikeTheModel(@ForAll long seed, @ForAll @IntRange(min = 5, max = 45) int steps) throws Exception {
        for (String[] combo : COMBOS) {
            run(seed, steps, combo[0], combo[1]);
        }
    }

    private record SnapModel(byte[] data, String volume, String parent) {
    }

    private void run(long seed, int steps, String write, String read) throws Exception {
        Path dir = Files.createTempDirectory("amiforge-model");
        Random random = new Random(seed);
        int bs = random.nextBoolean() ? 4096 : 512;
        int blocks = 24;
        int size = bs * blocks;
        VolumeOptions options = VolumeOptions.defaults().blockSize(bs).writeStrategy(write).readIndex(read);
        Map<String, byte[]> volumes = new LinkedHashMap<>();
        Map<String, String> volumeParent = new HashMap<>();
        Map<String, SnapModel> snaps = new LinkedHashMap<>();
        List<String> log = new ArrayList<>();
        log.add(write + "/" + read + " block size " + bs);
        SnapshotStore store = SnapshotStore.open(dir);
        try {
            store.createVolume("v0", size, options).close();
            volumes.put("v0", new byte[size]);
            int next = 1;
            for (int step = 0; step < steps; step++) {
                int op = random.nextInt(100);
                List<String> vols = new ArrayList<>(volumes.keySet());
                List<String> snapIds = new ArrayList<>(snaps.keySet());
                String vol = vols.isEmpty() ? null : vols.get(random.nextInt(vols.size()));
                String snap = snapIds.isEmpty() ? null : snapIds.get(random.nextInt(snapIds.size()));
                if (vol == null) {
                    op = 40; // must snapshot-clone or create
                }
                if (op < 35 && vol != null) {
                    int length = 1 + random.nextInt(bs * 3);
                    int offset = random.nextInt(size - length);
                    byte[] data = new byte[length];
                    random.nextBytes(data);
                    if (random.nextInt(5) == 0) {
                        Arrays.fill(data, (byte) 0);
                    }
                    log.add("write " + vol + " @" + offset + "+" + length);
                    try (Volume v = store.openVolume(vol)) {
                        v.write(offset, MemorySegment.ofArray(data));
                        if (random.nextBoolean()) {
                            v.flush();
                        }
                    }
                    System.arraycopy(data, 0, volumes.get(vol), offset, length);
                } else if (op < 40 && vol != null) {
                    int length = 1 + random.nextInt(bs * 4);
                    int offset = random.nextInt(size - length);
                    log.add("discard " + vol + " @" + offset + "+" + length);
                    try (Volume v = store.openVolume(vol)) {
                        v.discard(offset, length);
                    }
                    Arrays.fill(volumes.get(vol), offset, offset + length, (byte) 0);
                } else if (op < 55 && vol != null) {
                    SnapshotInfo info = store.createSnapshot(vol, "s" + step);
                    log.add("snapshot " + vol + " -> " + info.id());
                    snaps.put(info.id(), new SnapModel(volumes.get(vol).clone(), vol, volumeParent.get(vol)));
                    volumeParent.put(vol, info.id());
                    assertThat(info.parentId()).isEqualTo(snaps.get(info.id()).parent());
                    assertThat(info.blockCount()).as("block count at creation, after:\n%s", String.join("\n", log))
                            .isEqualTo(store.snapshot(info.id()).blockCount());
                } else if (op < 63 && snap != null) {
                    String name = "v" + next++;
                    log.add("clone " + snap + " -> " + name);
                    store.cloneVolume(snap, name).close();
                    volumes.put(name, snaps.get(snap).data().clone());
                    volumeParent.put(name, snap);
                } else if (op < 70 && snap != null && vol != null) {
                    log.add("rollback " + vol + " to " + snap);
                    store.rollback(vol, snap);
                    volumes.put(vol, snaps.get(snap).data().clone());
                    volumeParent.put(vol, snap);
                } else if (op < 80 && snap != null) {
                    log.add("delete-snapshot " + snap);
                    SnapModel gone = snaps.remove(snap);
                    store.deleteSnapshot(snap);
                    for (Map.Entry<String, SnapModel> e : snaps.entrySet()) {
                        if (snap.equals(e.getValue().parent())) {
                            e.setValue(new SnapModel(e.getValue().data(), e.getValue().volume(), gone.parent()));
                        }
                    }
                    volumeParent.replaceAll((k, p) -> snap.equals(p) ? gone.parent() : p);
                } else if (op < 86 && vol != null) {
                    log.add("flatten " + vol);
                    store.flatten(vol);
                } else if (op < 90 && vol != null && volumes.size() > 1) {
                    log.add("delete-volume " + vol);
                    store.deleteVolume(vol);
                    volumes.remove(vol);
                } else if (op < 93 && snap != null) {
                    log.add("pack " + snap);
                    store.pack(snap);
                } else if (op < 96) {
                    log.add("reopen");
                    store.close();
                    store = SnapshotStore.open(dir);
                } else {
                    String name = "v" + next++;
                    log.add("create " + name);
                    store.createVolume(name, size, options).close();
                    volumes.put(name, new byte[size]);
                }
                check(store, volumes, snaps, log, random);
            }
        } finally {
            store.close();
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void same(String what, byte[] actual, byte[] expected, String context) {
        int at = Arrays.mismatch(actual, expected);
        if (at >= 0) {
            throw new AssertionError(what + " differs from the model first at byte " + at + " (read " + actual[at]
                    + ", expected " + expected[at] + ") after:\n" + context);
        }
    }

    private static void check(SnapshotStore store, Map<String, byte[]> volumes, Map<String, SnapModel> snaps,
            List<String> log, Random random) {
        String context = String.join("\n", log);
        for (Map.Entry<String, byte[]> e : volumes.entrySet()) {
            try (Volume v = store.openVolume(e.getKey())) {
                byte[] actual = new byte[e.getValue().length];
                v.read(0, MemorySegment.ofArray(actual));
                same("volume " + e.getKey(), actual, e.getValue(), context);
            }
        }
        for (Map.Entry<String, SnapModel> e : snaps.entrySet()) {
            try (BlockDevice d = store.openSnapshot(e.getKey())) {
                byte[] actual = new byte[e.getValue().data().length];
                d.read(0, MemorySegment.ofArray(actual));
                same("snapshot " + e.getKey(), actual, e.getValue().data(), context);
            }
            assertThat(store.snapshot(e.getKey()).parentId()).as("parent of %s after:\n%s", e.getKey(), context)
                    .isEqualTo(e.getValue().parent());
        }
        assertThat(store.listSnapshots()).hasSize(snaps.size());
        assertThat(store.listVolumes()).hasSize(volumes.size());
        // a diff between a snapshot and an ancestor covers every block that differs
        List<String> ids = new ArrayList<>(snaps.keySet());
        if (!ids.isEmpty()) {
            String to = ids.get(random.nextInt(ids.size()));
            String from = snaps.get(to).parent();
            if (from != null && random.nextBoolean() && snaps.get(from).parent() != null) {
                from = snaps.get(from).parent();
            }
            if (from != null) {
                long[] changed = store.diff(from, to).blocks();
                byte[] a = snaps.get(from).data();
                byte[] b = snaps.get(to).data();
                int bs = store.snapshot(to).blockSize();
                for (int block = 0; block < a.length / bs; block++) {
                    if (!Arrays.equals(a, block * bs, (block + 1) * bs, b, block * bs, (block + 1) * bs)) {
                        assertThat(changed).as("diff %s..%s misses block %d after:\n%s", from, to, block, context)
                                .contains(block);
                    }
                }
            }
        }
        VerifyReport report = store.verify();
        assertThat(report.damage()).as("verify after:\n%s", context).isEmpty();
        assertThat(store.catalog.builtOnKept()).as("what is built on each snapshot, kept as records change, after:\n%s", context)
                .isEqualTo(store.catalog.builtOnCounted());
    }
}
