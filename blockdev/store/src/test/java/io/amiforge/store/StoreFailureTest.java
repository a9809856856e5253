package io.amiforge.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/** Damaged data, bad store files, a second process, and the plain semantics of each operation. */
class StoreFailureTest {

    @TempDir
    Path dir;

    private static MemorySegment filled(int size, int value) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) value);
        return MemorySegment.ofArray(b);
    }

    @Test
    void flippedByteIsReportedByVerifyAndFailsTheRead() throws Exception {
        String snap;
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 1 << 20, VolumeOptions.defaults())) {
            v.write(5 * 4096, filled(4096, 7));
            v.write(9 * 4096, filled(4096, 8));
            snap = store.createSnapshot("disk", "before damage").id();
        }
        // the snapshot's layer holds two blocks in slots 0 and 1 (in write order): damage block 9's slot
        Path data;
        try (var files = Files.list(dir.resolve("layers"))) {
            data = files.filter(p -> p.toString().endsWith(".dat")).filter(p -> p.toFile().length() > 0).findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "rw")) {
            f.seek(4096 + 100);
            int b = f.read();
            f.seek(4096 + 100);
            f.write(b ^ 0x40);
        }
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            VerifyReport report = store.verify();
            assertThat(report.ok()).isFalse();
            assertThat(report.damage()).hasSize(1);
            assertThat(report.damage().getFirst().snapshotId()).isEqualTo(snap);
            assertThat(report.damage().getFirst().block()).isEqualTo(9);
            try (Volume v = store.openVolume("disk")) {
                byte[] ok = new byte[4096];
                v.read(5 * 4096, MemorySegment.ofArray(ok));
                assertThat(ok).containsOnly(7);
                assertThatThrownBy(() -> v.read(9 * 4096 + 10, MemorySegment.ofArray(new byte[10])))
                        .isInstanceOf(BlockDeviceException.Corrupt.class)
                        .hasMessageContaining(snap).hasMessageContaining("block 9");
            }
            try (BlockDevice s = store.openSnapshot(snap)) {
                assertThatThrownBy(() -> s.read(9 * 4096, MemorySegment.ofArray(new byte[4096])))
                        .isInstanceOf(BlockDeviceException.Corrupt.class).hasMessageContaining(snap);
            }
        }
    }

    @Test
    void unknownFormatVersionIsRefused() throws Exception {
        SnapshotStore.open(dir).close();
        Files.writeString(dir.resolve("FORMAT"), "amiforge-snapshot-store 7\n");
        assertThatThrownBy(() -> SnapshotStore.open(dir))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("UnsupportedStoreVersion"))
                .hasMessageContaining("version 7").hasMessageContaining("reads versions 2 and 3");
    }

    @Test
    void missingParentIsAClearError() throws Exception {
        String base;
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 1 << 16, VolumeOptions.defaults())) {
            v.write(0, filled(4096, 1));
            base = store.createSnapshot("disk", "base").id();
            v.write(0, filled(4096, 2));
            store.createSnapshot("disk", "child");
        }
        // remove the base snapshot's record behind the store's back (with a valid checksum)
        Catalog catalog = CatalogFiles.fold(dir);
        catalog.snapshots.remove(base);
        catalog.save(dir.resolve("catalog"));
        assertThatThrownBy(() -> SnapshotStore.open(dir))
                .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("CorruptData"))
                .hasMessageContaining(base).hasMessageContaining("missing");
    }

    @Test
    void damagedCatalogIsDetected() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.createVolume("disk", 1 << 16, VolumeOptions.defaults()).close();
        }
        CatalogFiles.fold(dir);
        String text = Files.readString(dir.resolve("catalog")).replace("disk", "dusk");
        Files.writeString(dir.resolve("catalog"), text);
        assertThatThrownBy(() -> SnapshotStore.open(dir)).hasMessageContaining("checksum mismatch");
    }

    @Test
    void secondWriterOfAVolumeGetsStoreLockedWithThePidWhileOthersWork() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        try (Processes.Child holder = Processes.command(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), StoreHolder.class.getName(), dir.toString()).start()) {
            assertThat(holder.readLine()).as("lock holder's first line; its stderr:\n%s", holder.stderrTail())
                    .isEqualTo("holding");
            try (SnapshotStore store = SnapshotStore.open(dir)) {
                assertThatThrownBy(() -> store.openVolume("disk"))
                        .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("StoreLocked"))
                        .hasMessageContaining("volume disk").hasMessageContaining("process " + holder.pid());
                assertThatThrownBy(() -> store.createSnapshot("disk", "while held"))
                        .hasMessageContaining("volume disk").hasMessageContaining("process " + holder.pid());
                // everything else works while the other process writes "disk"
                try (Volume other = store.createVolume("other", 1 << 16, VolumeOptions.defaults())) {
                    other.write(0, filled(4096, 3));
                }
                String snap = store.createSnapshot("other", "beside the held volume").id();
                assertThat(store.listVolumes()).extracting(VolumeInfo::name).containsExactlyInAnyOrder("disk", "other");
                assertThat(store.listSnapshots()).extracting(SnapshotInfo::id).containsExactly(snap);
                VerifyReport report = store.verify();
                assertThat(report.ok()).isTrue();
                assertThat(report.notChecked()).containsExactly("disk");
            }
        }
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.openVolume("disk").close(); // the lock died with its holder
        }
    }

    @Test
    void secondWriterInOneProcessIsLockedToo() {
        try (SnapshotStore store = SnapshotStore.open(dir); SnapshotStore again = SnapshotStore.open(dir)) {
            try (Volume _ = store.createVolume("disk", 1 << 16, VolumeOptions.defaults())) {
                assertThatThrownBy(() -> again.openVolume("disk"))
                        .hasMessageContaining("volume disk").hasMessageContaining("in use by process " + ProcessHandle.current().pid());
            } // closing the last handle gives the lock back
            again.openVolume("disk").close();
        }
    }

    @Test
    void notFoundAndDuplicateCodes() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.createVolume("disk", 1 << 16, VolumeOptions.defaults()).close();
            assertThatThrownBy(() -> store.openVolume("nope")).isInstanceOfSatisfying(AmiforgeException.class,
                    e -> assertThat(e.code()).isEqualTo("InvalidVolume.NotFound"));
            assertThatThrownBy(() -> store.snapshot("snap-00000000000000000")).isInstanceOfSatisfying(AmiforgeException.class,
                    e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.NotFound"));
            assertThatThrownBy(() -> store.createVolume("disk", 1 << 16, VolumeOptions.defaults()))
                    .isInstanceOfSatisfying(AmiforgeException.class, e -> assertThat(e.code()).isEqualTo("InvalidVolume.Duplicate"));
            assertThatThrownBy(() -> VolumeOptions.defaults().blockSize(1 << 20)).hasMessageContaining("524288");
            assertThatThrownBy(() -> store.createVolume("x", 1000, VolumeOptions.defaults())).hasMessageContaining("multiple");
        }
    }

    @Test
    void idsLookLikeEc2s() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.createVolume("disk", 1 << 16, VolumeOptions.defaults()).close();
            assertThat(store.listVolumes().getFirst().id()).matches("vol-[0-9a-f]{17}");
            assertThat(store.createSnapshot("disk", "d").id()).matches("snap-[0-9a-f]{17}");
        }
    }

    @Test
    void diffOfUnrelatedSnapshotsIsAClearError() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            store.createVolume("a", 1 << 16, VolumeOptions.defaults()).close();
            store.createVolume("b", 1 << 16, VolumeOptions.defaults()).close();
            String sa = store.createSnapshot("a", "").id();
            String sb = store.createSnapshot("b", "").id();
            assertThatThrownBy(() -> store.diff(sa, sb)).isInstanceOfSatisfying(AmiforgeException.class,
                    e -> assertThat(e.code()).isEqualTo("InvalidSnapshot.Unrelated")).hasMessageContaining(sa).hasMessageContaining(sb);
        }
    }

    @Test
    void deletingASnapshotReallyReleasesSpace() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 16 << 20, VolumeOptions.defaults())) {
            v.write(0, filled(16 << 20, 3));
            String full = store.createSnapshot("disk", "full").id();
            v.write(0, filled(4096, 4)); // the child needs only block 0 of its own
            String child = store.createSnapshot("disk", "child").id();
            long before = usage(dir);
            store.deleteVolume("disk");
            store.deleteSnapshot(child);
            long afterChild = usage(dir);
            assertThat(afterChild).isLessThanOrEqualTo(before);
            store.deleteSnapshot(full);
            assertThat(usage(dir)).isLessThan(before - (12 << 20));
        }
    }

    @Test
    void ebsDeleteKeepsWhatLaterSnapshotsNeed() throws Exception {
        try (SnapshotStore store = SnapshotStore.open(dir); Volume v = store.createVolume("disk", 1 << 16, VolumeOptions.defaults())) {
            v.write(0, filled(4096, 1));
            v.write(4096, filled(4096, 1));
            String s1 = store.createSnapshot("disk", "1").id();
            v.write(4096, filled(4096, 2));
            String s2 = store.createSnapshot("disk", "2").id();
            store.deleteSnapshot(s1);
            assertThat(store.snapshot(s2).parentId()).isNull();
            assertThat(store.blocks(s2).blocks()).containsExactly(0, 1);
            try (BlockDevice d = store.openSnapshot(s2)) {
                byte[] back = new byte[8192];
                d.read(0, MemorySegment.ofArray(back));
                assertThat(Arrays.copyOfRange(back, 0, 4096)).containsOnly(1);
                assertThat(Arrays.copyOfRange(back, 4096, 8192)).containsOnly(2);
            }
        }
    }

    @Test
    void importedLayersFormAChain() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            MemoryBlockDevice base = new MemoryBlockDevice("base", 1 << 16, 4096);
            base.write(0, filled(8192, 5));
            Roaring64Bitmap present = new Roaring64Bitmap();
            present.addLong(0);
            present.addLong(1);
            SnapshotInfo s1 = store.importSnapshot(null, base, present, "imported base");
            MemoryBlockDevice top = new MemoryBlockDevice("top", 1 << 16, 4096);
            top.write(4096, filled(4096, 6));
            Roaring64Bitmap one = new Roaring64Bitmap();
            one.addLong(1);
            SnapshotInfo s2 = store.importSnapshot(s1, top, one, "imported top");
            assertThat(s2.parentId()).isEqualTo(s1.id());
            assertThat(s2.blockCount()).isEqualTo(1);
            try (BlockDevice d = store.openSnapshot(s2.id())) {
                byte[] back = new byte[8192];
                d.read(0, MemorySegment.ofArray(back));
                assertThat(Arrays.copyOfRange(back, 0, 4096)).containsOnly(5);
                assertThat(Arrays.copyOfRange(back, 4096, 8192)).containsOnly(6);
            }
            store.setSnapshotAttribute(s2.id(), "owner", "111122223333");
            assertThat(store.snapshot(s2.id()).attributes()).containsEntry("owner", "111122223333");
            assertThat(store.diff(s1.id(), s2.id()).blocks()).containsExactly(1);
            assertThat(List.of(store.diff(s2.id(), s1.id()).blocks())).isNotEmpty();
        }
    }

    @Test
    void importRefusesBlocksOutsideTheLayer() {
        try (SnapshotStore store = SnapshotStore.open(dir)) {
            MemoryBlockDevice base = new MemoryBlockDevice("base", 1 << 16, 4096);
            Roaring64Bitmap bad = new Roaring64Bitmap();
            bad.addLong(0);
            bad.addLong(16);
            assertThatThrownBy(() -> store.importSnapshot(null, base, bad, "x")).hasMessageContaining("block 16 is outside");
            assertThat(store.listSnapshots()).isEmpty();
        }
    }

    private static long usage(Path dir) throws Exception {
        String out = Processes.run(List.of(Interop.tool("du").toString(), "-sk", dir.toString())).orFail().stdoutText()
                .trim().split("\\s+")[0];
        return Long.parseLong(out) * 1024;
    }
}
