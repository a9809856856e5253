package io.amiforge.blockdev;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.testkit.BlockDeviceContractTest;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import io.amiforge.testkit.SystemProperties;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileBlockDeviceTest extends BlockDeviceContractTest {

    @TempDir
    Path dir;

    private int counter;

    @Override
    protected BlockDevice newDevice(long size) {
        return FileBlockDevice.create(dir.resolve("disk" + counter++ + ".raw"), size);
    }

    @Override
    protected BlockDevice reopen(BlockDevice device) {
        Path path = ((FileBlockDevice) device).path();
        device.close();
        return FileBlockDevice.open(path, false);
    }

    @Test
    void createdFilesAreSparseAndDiscardPunchesHoles() throws Exception {
        Path file = dir.resolve("sparse.raw");
        try (FileBlockDevice device = FileBlockDevice.create(file, 64L << 20)) {
            assertThat(allocatedBytes(file)).isLessThan(64 * 1024);
            byte[] data = new byte[8 << 20];
            java.util.Arrays.fill(data, (byte) 5);
            device.write(0, MemorySegment.ofArray(data));
            device.flush();
            long full = allocatedBytes(file);
            assertThat(full).isGreaterThanOrEqualTo(8L << 20);
            device.discard(0, 8 << 20);
            device.flush();
            assertThat(allocatedBytes(file)).isLessThan(full / 2);
            assertThat(read(device, 4 << 20, 4096)).containsOnly(0);
        }
    }

    @Test
    void readOnlyDeviceRefusesWrites() {
        Path file = dir.resolve("ro.raw");
        FileBlockDevice.create(file, 4096).close();
        try (FileBlockDevice device = FileBlockDevice.open(file, true)) {
            assertThatThrownBy(() -> device.write(0, MemorySegment.ofArray(new byte[1])))
                    .isInstanceOf(BlockDeviceException.ReadOnly.class);
        }
    }

    @Test
    void filledChunksAreWrittenBackBeforeAnyFlush() throws Exception {
        Path file = dir.resolve("behind.raw");
        long mib = 1 << 20;
        try (FileBlockDevice device = FileBlockDevice.create(file, 64 * mib)) {
            byte[] data = new byte[(int) mib];
            java.util.Arrays.fill(data, (byte) 3);
            Assumptions.assumeTrue(PageCacheState.unwritten(file, 0, mib) >= 0,
                    "this kernel has no cachestat (Linux 6.5+), so dirty pages cannot be counted");
            String fs = java.nio.file.Files.getFileStore(file).type();
            Assumptions.assumeFalse(fs.equals("tmpfs") || fs.equals("ramfs"),
                    "the temporary directory is on " + fs + ", whose pages are never written back");
            for (int i = 0; i < 16; i++) {
                device.write(i * mib, MemorySegment.ofArray(data));
            }
            // the kernel by itself writes dirty pages back after 30 s (vm.dirty_expire_centisecs), or
            // sooner when other processes fill the page cache: this test can only fail on a calm machine
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (PageCacheState.unwritten(file, 0, 16 * mib) > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(PageCacheState.unwritten(file, 0, 16 * mib)).as("dirty pages of four filled chunks").isZero();
        }
    }

    @Test
    void anUnknownWriteBehindSettingIsRefused() {
        SystemProperties.restoring(FileBlockDevice.WRITE_BEHIND_PROPERTY, () -> {
            System.setProperty(FileBlockDevice.WRITE_BEHIND_PROPERTY, "sometimes");
            assertThatThrownBy(() -> FileBlockDevice.create(dir.resolve("x.raw"), 4096))
                    .hasMessageContaining("amiforge.file.writeBehind=sometimes");
        });
    }

    @Test
    void missingFileIsAClearError() {
        assertThatThrownBy(() -> FileBlockDevice.open(dir.resolve("nope.raw"), true))
                .hasMessageContaining("nope.raw").hasMessageContaining("no such file");
    }

    private static long allocatedBytes(Path file) {
        String[] out = Processes.run(List.of(Interop.tool("stat").toString(), "--format=%b %B", file.toString())).orFail()
                .stdoutText().trim().split(" ");
        return Long.parseLong(out[0]) * Long.parseLong(out[1]);
    }

    @Test
    void allocationReportsTheHolesOfTheFile() {
        Path file = dir.resolve("map.raw");
        long mib = 1 << 20;
        try (FileBlockDevice device = FileBlockDevice.create(file, 16 * mib)) {
            assertThat(MemoryBlockDeviceTest.map(device, device.size()))
                    .containsExactly(new Extent(0, 16 * mib, Extent.Kind.ZERO));
            byte[] data = new byte[(int) mib];
            java.util.Arrays.fill(data, (byte) 9);
            device.write(2 * mib, MemorySegment.ofArray(data));
            device.write(8 * mib, MemorySegment.ofArray(data));
            device.write(9 * mib, MemorySegment.ofArray(data));
            assertThat(MemoryBlockDeviceTest.map(device, device.size())).containsExactly(
                    new Extent(0, 2 * mib, Extent.Kind.ZERO),
                    new Extent(2 * mib, mib, Extent.Kind.DATA),
                    new Extent(3 * mib, 5 * mib, Extent.Kind.ZERO),
                    new Extent(8 * mib, 2 * mib, Extent.Kind.DATA),
                    new Extent(10 * mib, 6 * mib, Extent.Kind.ZERO));

            device.discard(8 * mib, mib); // punched: a hole again
            assertThat(MemoryBlockDeviceTest.map(device, device.size())).containsExactly(
                    new Extent(0, 2 * mib, Extent.Kind.ZERO),
                    new Extent(2 * mib, mib, Extent.Kind.DATA),
                    new Extent(3 * mib, 6 * mib, Extent.Kind.ZERO),
                    new Extent(9 * mib, mib, Extent.Kind.DATA),
                    new Extent(10 * mib, 6 * mib, Extent.Kind.ZERO));
            assertThat(device.extentAt(2 * mib + 10, 20)).isEqualTo(new Extent(2 * mib + 10, 20, Extent.Kind.DATA));
        }
        try (FileBlockDevice reopened = FileBlockDevice.open(file, true)) { // read-only: lseek still answers
            assertThat(reopened.extentAt(0, 16 * mib)).isEqualTo(new Extent(0, 2 * mib, Extent.Kind.ZERO));
        }
    }
}
