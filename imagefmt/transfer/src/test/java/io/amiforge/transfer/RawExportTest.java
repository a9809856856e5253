package io.amiforge.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import io.amiforge.blockdev.NativeFile;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeOptions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw export ({@link RawExport}): the file holds exactly the device's bytes (data across piece
 * edges, data in 512-byte blocks that are not page-aligned, a last block that ends off a page,
 * written zeros, discarded ranges over a snapshot), keeps the holes (1 MiB of stored zeros,
 * reserved before the direct writes, are punched back), and is the same whether the
 * file system takes direct I/O (the work directory, ext4) or not (tmpfs: page-cache writes with
 * {@link WriteBehind}). A device that fails part way leaves neither the target nor a temporary file.
 */
class RawExportTest {

    private static final long SIZE = 3 * RawExport.PIECE + 512; // a size that is not a page multiple

    @TempDir
    Path dir;

    @Test
    void exportHoldsTheDeviceBytesAndKeepsItsHoles() throws IOException {
        check(dir);
    }

    @Test
    void aFileSystemWithoutDirectIoGetsTheSameFile() throws IOException {
        Path shm = Path.of("/dev/shm");
        assertThat(shm).as("tmpfs for the page-cache path").isDirectory();
        Path tmp = Files.createTempDirectory(shm, "raw-export");
        try {
            check(tmp);
        } finally {
            try (var walk = Files.walk(tmp)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void aDeviceThatFailsPartWayLeavesNoFile() throws IOException {
        Path target = dir.resolve("failed.raw");
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store"));
                Volume v = store.createVolume("v", SIZE, VolumeOptions.defaults().blockSize(512))) {
            SplittableRandom random = new SplittableRandom(5);
            for (int piece = 0; piece < 3; piece++) {
                write(v, piece * RawExport.PIECE + 4096, 64, random); // data in every piece
            }
            BlockDevice failing = new FailingReads(v, 2L * RawExport.PIECE);
            assertThatThrownBy(() -> ChainExporter.exportFlat(failing, target, "raw"))
                    .isInstanceOf(BlockDeviceException.Io.class).hasMessageContaining("injected");
        }
        assertThat(target).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("files left beside the target")
                    .noneMatch(name -> name.contains("failed.raw"));
        }
    }

    /** {@code device}, whose reads at or past {@code from} fail; its allocation map is the device's. */
    private static final class FailingReads extends AbstractBlockDevice implements AllocationStatus {
        private final BlockDevice device;
        private final long from;

        FailingReads(BlockDevice device, long from) {
            super("failing " + device.name(), device.size(), device.blockSize(), true);
            this.device = device;
            this.from = from;
        }

        @Override
        public Extent extentAt(long offset, long maxLength) {
            return AllocationStatus.of(device, offset, maxLength);
        }

        @Override
        protected void doRead(long offset, MemorySegment dst) {
            if (offset + dst.byteSize() > from) {
                throw new BlockDeviceException.Io(name(), "read at offset " + offset, new IOException("injected failure"));
            }
            device.read(offset, dst);
        }

        @Override
        protected void doWrite(long offset, MemorySegment src) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        protected void doFlush() {
        }

        @Override
        protected void doDiscard(long offset, long length) {
            throw new UnsupportedOperationException("read-only");
        }

        @Override
        protected void doClose() {
        }
    }

    private void check(Path out) throws IOException {
        byte[] expected;
        Path target = out.resolve("out.raw");
        try (SnapshotStore store = SnapshotStore.open(dir.resolve("store-" + out.getFileName()));
                Volume v = store.createVolume("v", SIZE, VolumeOptions.defaults().blockSize(512))) {
            SplittableRandom random = new SplittableRandom(11);
            write(v, RawExport.PIECE - 3 * 512, 7, random); // across the first piece edge, off a page
            write(v, 100 * 512, 1, random);
            write(v, SIZE - 512, 1, random); // the last block, which ends off a page
            v.write(2L * RawExport.PIECE, MemorySegment.ofArray(new byte[64 * 1024])); // written zeros
            v.write(RawExport.PIECE + 8192, MemorySegment.ofArray(new byte[1 << 20])); // 1 MiB of them: must stay a hole
            write(v, 2L * RawExport.PIECE + 300 * 512, 600, random);
            store.createSnapshot("v", "under the discard");
            v.discard(2L * RawExport.PIECE + 400 * 512, 100 * 512); // explicit zeros over the snapshot's data
            expected = new byte[(int) SIZE];
            v.read(0, MemorySegment.ofArray(expected));
            long data = ChainExporter.exportFlat(v, target, "raw");
            assertThat(data).as("data bytes written").isPositive().isLessThan(1L << 20);
        }
        assertThat(Files.size(target)).isEqualTo(SIZE);
        byte[] got = Files.readAllBytes(target);
        assertThat(Arrays.mismatch(got, expected)).as("first differing byte").isEqualTo(-1);
        assertThat(NativeFile.allocatedBytes(target, SIZE)).as("allocated bytes").isLessThan(1L << 20);
    }

    private static void write(BlockDevice v, long offset, int blocks, SplittableRandom random) {
        byte[] bytes = new byte[blocks * 512];
        random.nextBytes(bytes);
        v.write(offset, MemorySegment.ofArray(bytes));
    }
}
