package io.amiforge.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
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
 * written zeros, discarded ranges over a snapshot), keeps the holes, and is the same whether the
 * file system takes direct I/O (the work directory, ext4) or not (tmpfs: page-cache writes with
 * {@link WriteBehind}).
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
