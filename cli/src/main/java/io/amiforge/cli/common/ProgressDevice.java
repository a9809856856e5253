package io.amiforge.cli.common;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import java.lang.foreign.MemorySegment;

/**
 * A read-side view of a device that moves a {@link Progress} as a copy walks it: a copy asks a
 * device with {@link AllocationStatus} for each extent once (and skips zero extents without
 * reading them), so the extents answered are the progress; a device without it is read whole,
 * so the bytes read are. Everything else is passed through; closing closes the device.
 */
public class ProgressDevice implements BlockDevice {

    private final BlockDevice device;
    private final Progress progress;
    private final boolean countReads;

    private ProgressDevice(BlockDevice device, Progress progress, boolean countReads) {
        this.device = device;
        this.progress = progress;
        this.countReads = countReads;
    }

    /** {@code device} reporting to {@code progress}; it keeps {@link AllocationStatus} when {@code device} has it. */
    public static BlockDevice wrap(BlockDevice device, Progress progress) {
        if (progress.mode() == Progress.Mode.OFF) {
            return device;
        }
        return device instanceof AllocationStatus ? new WithStatus(device, progress) : new ProgressDevice(device, progress, true);
    }

    /** {@code device} reporting the bytes read to {@code progress}, for a copy that reads everything (its allocation status hidden). */
    public static BlockDevice countingReads(BlockDevice device, Progress progress) {
        return progress.mode() == Progress.Mode.OFF ? device : new ProgressDevice(device, progress, true);
    }

    @Override
    public long size() {
        return device.size();
    }

    @Override
    public int blockSize() {
        return device.blockSize();
    }

    @Override
    public boolean isReadOnly() {
        return device.isReadOnly();
    }

    @Override
    public void read(long offset, MemorySegment dst) {
        device.read(offset, dst);
        if (countReads) {
            progress.add(dst.byteSize());
        }
    }

    @Override
    public void write(long offset, MemorySegment src) {
        device.write(offset, src);
    }

    @Override
    public void flush() {
        device.flush();
    }

    @Override
    public void discard(long offset, long length) {
        device.discard(offset, length);
    }

    @Override
    public Durability durability() {
        return device.durability();
    }

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public void close() {
        device.close();
    }

    /** The view of a device that answers allocation status: progress counts the extents answered. */
    private static final class WithStatus extends ProgressDevice implements AllocationStatus {

        private final AllocationStatus status;
        private final Progress progress;

        WithStatus(BlockDevice device, Progress progress) {
            super(device, progress, false);
            this.status = (AllocationStatus) device;
            this.progress = progress;
        }

        @Override
        public Extent extentAt(long offset, long maxLength) {
            Extent extent = status.extentAt(offset, maxLength);
            progress.add(extent.length());
            return extent;
        }
    }
}
