package io.amiforge.cli.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The one progress reporter: bars only on a terminal, plain lines (no carriage return) in a pipe when asked, else nothing. */
class ProgressTest {

    @Test
    void theModeFollowsTheTerminalTheRequestAndJson() {
        assertThat(Progress.Mode.of(false, true, false, true)).isEqualTo(Progress.Mode.BAR);
        assertThat(Progress.Mode.of(true, false, false, true)).isEqualTo(Progress.Mode.BAR);
        assertThat(Progress.Mode.of(false, false, false, true)).isEqualTo(Progress.Mode.OFF);
        assertThat(Progress.Mode.of(false, true, true, true)).as("JSON output never gets a bar").isEqualTo(Progress.Mode.OFF);
        assertThat(Progress.Mode.of(false, true, false, false)).as("a pipe gets nothing unless asked").isEqualTo(Progress.Mode.OFF);
        assertThat(Progress.Mode.of(true, false, false, false)).isEqualTo(Progress.Mode.LINES);
        assertThat(Progress.Mode.of(true, false, true, false)).isEqualTo(Progress.Mode.LINES);
    }

    @Test
    void inAPipeItPrintsOneLinePerTenthAndNoCarriageReturn() {
        StringWriter text = new StringWriter();
        try (Progress progress = Progress.start(Progress.Mode.LINES, "convert", 100L << 20, new PrintWriter(text))) {
            for (int i = 1; i <= 100; i++) {
                progress.stepTo((long) i << 20);
            }
        }
        assertThat(text.toString()).doesNotContain("\r");
        assertThat(text.toString().lines().toList()).hasSize(10)
                .startsWith("amiforge: convert: 10% (10.0 MiB of 100.0 MiB)")
                .endsWith("amiforge: convert: done (100.0 MiB of 100.0 MiB)");
    }

    @Test
    void aDeviceViewMovesProgressByTheExtentsACopyWalks() {
        StringWriter text = new StringWriter();
        try (BlockDevice device = new MemoryBlockDevice("disk", 4 << 20, 4096);
                Progress progress = Progress.start(Progress.Mode.LINES, "copy", device.size(), new PrintWriter(text))) {
            AllocationStatus view = (AllocationStatus) ProgressDevice.wrap(device, progress);
            for (long offset = 0; offset < device.size(); ) {
                offset = view.extentAt(offset, 1 << 20).end();
            }
        }
        assertThat(text.toString()).contains("copy: 50% (2.0 MiB of 4.0 MiB)").endsWith("copy: done (4.0 MiB of 4.0 MiB)\n");
    }

    @Test
    void aDeviceWithoutAllocationStatusMovesProgressByTheBytesRead() {
        StringWriter text = new StringWriter();
        try (Arena arena = Arena.ofConfined(); BlockDevice device = new MemoryBlockDevice("disk", 4 << 20, 4096);
                Progress progress = Progress.start(Progress.Mode.LINES, "copy", device.size(), new PrintWriter(text))) {
            BlockDevice plain = new ReadOnlyView(device);
            BlockDevice view = ProgressDevice.wrap(plain, progress);
            assertThat(view).isNotInstanceOf(AllocationStatus.class);
            MemorySegment buffer = arena.allocate(1 << 20);
            for (long offset = 0; offset < view.size(); offset += buffer.byteSize()) {
                view.read(offset, buffer);
            }
        }
        assertThat(text.toString()).contains("copy: 75% (3.0 MiB of 4.0 MiB)").endsWith("copy: done (4.0 MiB of 4.0 MiB)\n");
    }

    /** A device that hides its allocation status. */
    private record ReadOnlyView(BlockDevice device) implements BlockDevice {
        @Override public long size() {
            return device.size();
        }

        @Override public int blockSize() {
            return device.blockSize();
        }

        @Override public boolean isReadOnly() {
            return true;
        }

        @Override public void read(long offset, MemorySegment dst) {
            device.read(offset, dst);
        }

        @Override public void write(long offset, MemorySegment src) {
            throw new UnsupportedOperationException();
        }

        @Override public void flush() {
        }

        @Override public void discard(long offset, long length) {
            throw new UnsupportedOperationException();
        }

        @Override public String name() {
            return "view";
        }

        @Override public void close() {
        }
    }
}
