package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog log on disk: a replay keeps exactly the valid prefix of batches, whatever the
 * tail looks like (cut anywhere, a damaged byte, a stale batch a shorter one left uncovered);
 * commits append only what changed; a large log is compacted into a new base; a version-1 store
 * is upgraded once, durably; the count of what is built on each snapshot follows every change.
 */
class CatalogLogTest {

    private static final int BS = 4096;

    @TempDir
    Path tmp;

    // ---- replay, on log files written here -------------------------------------------------------

    /** A log of {@code descriptions.length} batches, each one snapshot record, chained from the seed of generation 1. */
    private static List<byte[]> batches(String... descriptions) {
        List<byte[]> out = new ArrayList<>();
        int chain = CatalogFormat.chainSeed(1);
        for (String d : descriptions) {
            String lines = CatalogFormat.line(snapshot(d));
            chain = CatalogFormat.chainCrc(chain, lines);
            out.add(CatalogFormat.logBatch(lines, chain));
        }
        return out;
    }

    private static Catalog.SnapshotRecord snapshot(String description) {
        Catalog.SnapshotRecord s = new Catalog.SnapshotRecord();
        s.id = "snap-" + description;
        s.volume = "v";
        s.volumeId = "vol-1";
        s.layer = "lay-" + description;
        s.size = 1 << 20;
        s.blockSize = BS;
        s.description = description;
        s.created = java.time.Instant.parse("2026-12-04T00:00:00Z");
        s.mode = "row";
        s.materialized = true;
        s.owner = AccountId.DEFAULT.value();
        return s;
    }

    private static byte[] concat(List<byte[]> parts, int zeros) {
        int n = zeros;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private Set<String> replay(byte[] log, boolean chained) throws IOException {
        Path file = tmp.resolve("catalog.1.log");
        Files.write(file, log);
        Catalog catalog = new Catalog();
        catalog.chainedLog = chained;
        catalog.replayLog(file, Catalog.LogEnd.start(1), Set.of(), new HashSet<>());
        return new HashSet<>(catalog.snapshots.keySet());
    }

    @Test
    void aLogCutAnywhereReplaysTheBatchesBeforeTheCut() throws Exception {
        List<byte[]> parts = batches("a", "b", "c");
        byte[] whole = concat(parts, 4096);
        int endOfB = parts.get(0).length + parts.get(1).length;
        assertThat(replay(whole, true)).containsExactlyInAnyOrder("snap-a", "snap-b", "snap-c");
        for (int cut = endOfB; cut < endOfB + parts.get(2).length; cut++) {
            byte[] torn = whole.clone();
            java.util.Arrays.fill(torn, cut, torn.length, (byte) 0);
            assertThat(replay(torn, true)).as("cut at byte %d", cut).containsExactlyInAnyOrder("snap-a", "snap-b");
        }
    }

    @Test
    void aDamagedByteEndsTheValidPrefixAtItsBatch() throws Exception {
        List<byte[]> parts = batches("a", "b", "c");
        byte[] log = concat(parts, 0);
        int inB = parts.get(0).length + 10;
        log[inB] ^= 0x01;
        assertThat(replay(log, true)).containsExactly("snap-a");
    }

    @Test
    void aStaleBatchThatAShorterOneLeftUncoveredIsNotReplayed() throws Exception {
        // b was never committed (damaged), c was written after it; then, after a restart, d is
        // appended where b started and happens to end exactly where c starts
        List<byte[]> old = batches("a", "b", "c");
        byte[] log = concat(old, 0);
        int startOfB = old.get(0).length;
        log[startOfB + 3] ^= 0x20;
        String padded = "d"; // as long as "b": its batch is exactly as long
        List<byte[]> now = batches("a", padded);
        assertThat(now.get(1)).hasSameSizeAs(old.get(1));
        System.arraycopy(now.get(1), 0, log, startOfB, now.get(1).length);
        assertThat(replay(log, true)).as("chained: c follows b, not d").containsExactlyInAnyOrder("snap-a", "snap-" + padded);

        // the same bytes without the chain (format 2) bring c back: what the chain is for
        byte[] unchained = concat(List.of(
                unchainedBatch("a"), unchainedBatch(padded), unchainedBatch("c")), 0);
        assertThat(replay(unchained, false)).contains("snap-c");
    }

    private static byte[] unchainedBatch(String description) {
        String lines = CatalogFormat.line(snapshot(description));
        return (lines + "commit " + CatalogFormat.crcOf(lines) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    // ---- what is built on each snapshot ----------------------------------------------------------

    @Test
    void theCountOfWhatIsBuiltOnEachSnapshotFollowsEveryChange() {
        Path file = tmp.resolve("catalog");
        Catalog catalog = new Catalog();
        Catalog.SnapshotRecord a = snapshot("a");
        Catalog.SnapshotRecord b = built(snapshot("b"), a);
        Catalog.SnapshotRecord c = built(snapshot("c"), a);
        for (Catalog.SnapshotRecord s : List.of(a, b, c)) {
            catalog.apply(file, 1, CatalogFormat.line(s).strip());
        }
        assertBuiltOn(catalog, "replayed", a, 2, b, 0);

        catalog.apply(file, 2, CatalogFormat.line(built(snapshot("c"), b)).strip()); // an upsert that moves c onto b
        assertBuiltOn(catalog, "c replayed again, now on b", a, 1, b, 1);

        Catalog.VolumeRecord v = volume("v", b);
        catalog.apply(file, 3, CatalogFormat.line(v).strip());
        assertBuiltOn(catalog, "a volume on b", a, 1, b, 2);
        List<String> onB = new ArrayList<>();
        catalog.forEachBuiltOn(b.id, x -> onB.add(x.id), x -> onB.add(x.name));
        assertThat(onB).as("what is built on b").containsExactlyInAnyOrder(c.id, "v");
        catalog.apply(file, 4, CatalogFormat.DELETE_VOLUME + " name=v", Set.of("v"), new HashSet<>());
        assertBuiltOn(catalog, "the deletion of a volume this process holds is not applied", a, 1, b, 2);
        catalog.apply(file, 5, CatalogFormat.DELETE_SNAPSHOT + " id=" + c.id, Set.of(), new HashSet<>());
        assertBuiltOn(catalog, "c deleted", a, 1, b, 1);

        catalog.snapshots.get(b.id).base = null; // as a flatten does, then touch
        catalog.touch(catalog.snapshots.get(b.id));
        assertBuiltOn(catalog, "b rebased and touched", a, 0, b, 1);

        Catalog.SnapshotRecord d = built(snapshot("d"), a);
        catalog.add(d);
        assertBuiltOn(catalog, "d added", a, 1, b, 1);
        catalog.discard(d);
        assertBuiltOn(catalog, "d discarded", a, 0, b, 1);
        catalog.removeVolume("v");
        assertBuiltOn(catalog, "v removed", a, 0, b, 0);

        Catalog fresh = new Catalog();
        for (Catalog.SnapshotRecord s : List.of(snapshot("a"), built(snapshot("b"), a), built(snapshot("c"), a))) {
            fresh.apply(file, 1, CatalogFormat.line(s).strip());
        }
        catalog.apply(file, 6, CatalogFormat.line(volume("held", a)).strip());
        catalog.replaceWith(fresh, Set.of("held"));
        assertBuiltOn(catalog, "replaced, keeping a held volume on a", a, 3, b, 0);
    }

    private static Catalog.SnapshotRecord built(Catalog.SnapshotRecord s, Catalog.SnapshotRecord on) {
        s.base = on.id;
        s.parent = on.id;
        return s;
    }

    private static Catalog.VolumeRecord volume(String name, Catalog.SnapshotRecord on) {
        Catalog.VolumeRecord v = new Catalog.VolumeRecord();
        v.name = name;
        v.id = "vol-" + name;
        v.size = 1 << 20;
        v.blockSize = BS;
        v.write = "row";
        v.read = "flat";
        v.parent = on.id;
        v.base = on.id;
        v.layer = "lay-" + name;
        v.created = java.time.Instant.parse("2026-12-04T00:00:00Z");
        v.owner = AccountId.DEFAULT.value();
        return v;
    }

    private static void assertBuiltOn(Catalog catalog, String after, Catalog.SnapshotRecord a, int onA,
            Catalog.SnapshotRecord b, int onB) {
        assertThat(catalog.builtOn(a.id)).as("built on a, %s", after).isEqualTo(onA);
        assertThat(catalog.builtOn(b.id)).as("built on b, %s", after).isEqualTo(onB);
        assertThat(catalog.builtOnKept()).as("kept counts against a fresh count, %s", after).isEqualTo(catalog.builtOnCounted());
    }

    // ---- through the store -----------------------------------------------------------------------

    @Test
    void aCommitAppendsOnlyWhatChangedAndDeletionsReplay() throws Exception {
        Path dir = tmp.resolve("store");
        String keep;
        String gone;
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 1 << 20, VolumeOptions.defaults())) {
            v.write(0, filled(BS, 1));
            for (int i = 0; i < 50; i++) {
                store.createSnapshot("disk", "s" + i);
            }
            keep = store.createSnapshot("disk", "keep").id();
            gone = store.createSnapshot("disk", "gone").id();
            long before = logBytes(dir);
            store.setSnapshotAttribute(keep, "k", "v");
            long batch = logBytes(dir) - before;
            assertThat(batch).as("one attribute change: one record, whatever the catalog holds")
                    .isLessThan(1024).isGreaterThan(0);
            store.createVolume("other", 1 << 20, VolumeOptions.defaults()).close();
            store.deleteVolume("other");
            store.deleteSnapshot(gone);
        }
        assertThat(logText(dir)).contains("delete-volume name=other").contains("delete-snapshot id=" + gone);
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.snapshot(keep).attributes()).containsEntry("k", "v");
            assertThat(store.listSnapshots()).hasSize(51);
            assertThat(store.listVolumes()).extracting(VolumeInfo::name).containsExactly("disk");
            assertThat(store.verify().ok()).isTrue();
        }
    }

    @Test
    void aLargeLogIsCompactedIntoANewBaseAndTheOldLogGoes() throws Exception {
        Path dir = tmp.resolve("store");
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 1 << 20, VolumeOptions.defaults())) {
            store.log.minCompactBytes = 16 * 1024;
            v.write(0, filled(BS, 1));
            String first = store.createSnapshot("disk", "first").id();
            long generation = Catalog.savedGeneration(dir.resolve("catalog"));
            for (int i = 0; i < 200 && Catalog.savedGeneration(dir.resolve("catalog")) == generation; i++) {
                store.setSnapshotAttribute(first, "n", Integer.toString(i));
            }
            long now = Catalog.savedGeneration(dir.resolve("catalog"));
            assertThat(now).as("compacted: a new base").isGreaterThan(generation);
            assertThat(Files.exists(CatalogLog.logPath(dir, generation))).as("the old log is deleted").isFalse();
            assertThat(Files.readString(dir.resolve("catalog"))).contains("id=" + first);
        }
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.listSnapshots()).hasSize(1);
        }
    }

    @Test
    void aVersionOneStoreIsUpgradedOnceAndDurably() throws Exception {
        Path dir = tmp.resolve("store");
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.createVolume("disk", 1 << 20, VolumeOptions.defaults()).close();
        }
        // make it a version-1 store: FORMAT 1, catalog header 2, an unchained log holding a volume
        Catalog folded = CatalogFiles.fold(dir);
        Path catalog = dir.resolve("catalog");
        String text = Files.readString(catalog);
        String body = text.substring(0, text.lastIndexOf("crc ")).replace(Catalog.HEADER + "\n", Catalog.HEADER_V2 + "\n");
        Files.writeString(catalog, body + "crc " + CatalogFormat.crcOf(body) + "\n");
        String line = CatalogFormat.line(folded.volumes.get("disk")).replace("name=disk", "name=fromlog");
        Files.writeString(CatalogLog.logPath(dir, folded.logGeneration), line + "commit " + CatalogFormat.crcOf(line) + "\n");
        Files.writeString(dir.resolve("FORMAT"), SnapshotStore.FORMAT_NAME + " 1\n");

        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.listVolumes()).extracting(VolumeInfo::name).containsExactlyInAnyOrder("disk", "fromlog");
            assertThat(Files.readString(dir.resolve("FORMAT"))).isEqualTo(SnapshotStore.FORMAT_NAME + " 2\n");
            assertThat(Files.readString(catalog)).startsWith(Catalog.HEADER + "\n").contains("name=fromlog");
            assertThat(Files.exists(CatalogLog.logPath(dir, folded.logGeneration))).as("the old log was folded in").isFalse();
        }
        byte[] once = Files.readAllBytes(catalog);
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            assertThat(store.listVolumes()).hasSize(2);
        }
        assertThat(Files.readAllBytes(catalog)).as("the second open upgrades nothing").isEqualTo(once);
    }

    private static long logBytes(Path dir) throws IOException {
        return logText(dir).length();
    }

    /** The current log's text up to its pre-written zeros. */
    private static String logText(Path dir) throws IOException {
        long generation = Catalog.savedGeneration(dir.resolve("catalog"));
        byte[] bytes = Files.readAllBytes(CatalogLog.logPath(dir, generation));
        int n = 0;
        while (n < bytes.length && bytes[n] != 0) {
            n++;
        }
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
    }

    private static java.lang.foreign.MemorySegment filled(int size, int value) {
        byte[] b = new byte[size];
        java.util.Arrays.fill(b, (byte) value);
        return java.lang.foreign.MemorySegment.ofArray(b);
    }
}
