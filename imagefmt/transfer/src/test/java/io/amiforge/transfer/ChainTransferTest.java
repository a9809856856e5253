package io.amiforge.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** qcow2 chains made by qemu-img become snapshot chains, and snapshot chains become qcow2 chains qemu-img accepts. */
@Tag("interop")
class ChainTransferTest {

    @TempDir
    Path dir;

    private void qemu(String... args) {
        Processes.run(dir, List.of(args)).orFail();
    }

    /** base (raw-ish data) <- mid (overwrites + zero cluster) <- top (more writes), 3 deep, relative names. */
    private Path qemuChain(String qemuImg, String qemuIo) {
        qemu(qemuImg, "create", "-f", "qcow2", "-o", "cluster_size=65536", "base.qcow2", "8M");
        qemu(qemuIo, "-f", "qcow2", "-c", "write -P 0x11 0 1M", "-c", "write -P 0x22 4M 64k", "base.qcow2");
        qemu(qemuImg, "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", "mid.qcow2");
        qemu(qemuIo, "-f", "qcow2", "-c", "write -P 0x33 512k 8k", "-c", "write -z 4M 64k", "mid.qcow2");
        qemu(qemuImg, "create", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2");
        qemu(qemuIo, "-f", "qcow2", "-c", "write -P 0x44 7M 4k", "-c", "write -P 0x55 100k 3k", "top.qcow2");
        qemu(qemuImg, "convert", "-O", "raw", "top.qcow2", "expected.raw");
        return dir.resolve("top.qcow2");
    }

    @Test
    void aQemuChainImportsAsOneSnapshotPerLayerAndExportsBack() throws Exception {
        String qemuImg = Interop.tool("qemu-img").toString();
        String qemuIo = Interop.tool("qemu-io").toString();
        Path top = qemuChain(qemuImg, qemuIo);
        byte[] expected = Files.readAllBytes(dir.resolve("expected.raw"));
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            ChainImporter.Result result = ChainImporter.importImage(store, "imported", top);
            assertThat(result.snapshots()).hasSize(3);
            assertThat(result.snapshots().get(1).parentId()).isEqualTo(result.snapshots().get(0).id());
            assertThat(result.snapshots().get(2).parentId()).isEqualTo(result.snapshots().get(1).id());
            // each layer holds only what that qcow2 file answered for (64 KiB clusters = 16 store blocks)
            assertThat(store.blocks(result.snapshots().get(1).id()).count()).isEqualTo(16 + 16);
            assertThat(store.blocks(result.snapshots().get(2).id()).count()).isEqualTo(16 + 16);
            try (Volume volume = store.openVolume("imported")) {
                byte[] actual = new byte[expected.length];
                volume.read(0, MemorySegment.ofArray(actual));
                assertThat(actual).isEqualTo(expected);
            }

            SnapshotInfo snapshot = result.snapshots().get(2);
            Path exported = dir.resolve("out").resolve("disk.qcow2");
            Files.createDirectories(exported.getParent());
            List<Path> files = ChainExporter.exportChain(store, snapshot.id(), exported);
            assertThat(files).hasSize(3).last().isEqualTo(exported);
            for (Path file : files) {
                qemu(qemuImg, "check", file.toString());
            }
            String info = Processes.run(List.of(qemuImg, "info", "--backing-chain", exported.toString())).orFail().output();
            assertThat(info).contains("disk-2.qcow2").contains("disk-1.qcow2");
            qemu(qemuImg, "compare", "-f", "qcow2", "-F", "raw", exported.toString(), dir.resolve("expected.raw").toString());

            Path flat = dir.resolve("flat.qcow2");
            try (BlockDevice view = store.openSnapshot(snapshot.id())) {
                ChainExporter.exportFlat(view, flat, "qcow2");
            }
            qemu(qemuImg, "check", flat.toString());
            qemu(qemuImg, "compare", "-f", "qcow2", "-F", "raw", flat.toString(), dir.resolve("expected.raw").toString());
        }
    }

    @Test
    void aSparseRawImageStoresOnlyItsNonZeroBlocks() throws Exception {
        Path raw = dir.resolve("sparse.raw");
        try (var file = new java.io.RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(64L << 20);
            file.seek(10 * 4096 + 100);
            file.write(new byte[]{1, 2, 3});
            file.seek(40L << 20);
            file.write(new byte[8192]); // written zeros: allocated, but not data worth storing
            file.seek((64L << 20) - 1);
            file.write(9);
        }
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"))) {
            ChainImporter.Result result = ChainImporter.importImage(store, "sparse", raw);
            assertThat(store.blocks(result.snapshots().getFirst().id()).blocks())
                    .containsExactly(10L, (64L << 20) / 4096 - 1);
            try (Volume volume = store.openVolume("sparse")) {
                byte[] got = new byte[3];
                volume.read(10 * 4096 + 100, MemorySegment.ofArray(got));
                assertThat(got).containsExactly(1, 2, 3);
            }
        }
    }
}
