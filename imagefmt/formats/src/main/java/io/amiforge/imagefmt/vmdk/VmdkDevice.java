package io.amiforge.imagefmt.vmdk;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.LayerLayout;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A disk described by a VMDK descriptor file: its extents one after the other in guest order.
 * A ZERO extent (a null device) reads as zeros and refuses writes of anything else. Its
 * {@link LayerLayout} is its extents': offsets in the extent files, which it names.
 */
final class VmdkDevice extends AbstractBlockDevice implements AllocationStatus, LayerLayout {

    private final List<BlockDevice> extents;
    private final long[] starts;
    /** Per extent, its file as named from the descriptor's path, or null (a ZERO extent). */
    private final List<String> files;

    /**
     * {@code extents} in order, with {@code sizes} guest bytes each (null devices are ZERO
     * extents), stored in {@code files} (null for a ZERO extent).
     */
    VmdkDevice(String name, List<BlockDevice> extents, long[] sizes, List<String> files, boolean readOnly) {
        super(name, total(sizes), 512, readOnly);
        this.extents = extents;
        this.files = files;
        this.starts = new long[sizes.length + 1];
        for (int i = 0; i < sizes.length; i++) {
            starts[i + 1] = starts[i] + sizes[i];
        }
    }

    private static long total(long[] sizes) {
        long sum = 0;
        for (long s : sizes) {
            sum = Math.addExact(sum, s);
        }
        return sum;
    }

    private int extentIndex(long pos) {
        int lo = 0;
        int hi = extents.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= pos) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        long done = 0;
        while (done < dst.byteSize()) {
            long pos = offset + done;
            int i = extentIndex(pos);
            long n = Math.min(dst.byteSize() - done, starts[i + 1] - pos);
            MemorySegment part = dst.asSlice(done, n);
            BlockDevice extent = extents.get(i);
            if (extent == null) {
                part.fill((byte) 0);
            } else {
                extent.read(pos - starts[i], part);
            }
            done += n;
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        long done = 0;
        while (done < src.byteSize()) {
            long pos = offset + done;
            int i = extentIndex(pos);
            long n = Math.min(src.byteSize() - done, starts[i + 1] - pos);
            BlockDevice extent = extents.get(i);
            if (extent == null) {
                throw new io.amiforge.blockdev.BlockDeviceException.ReadOnly(name() + " (ZERO extent " + i + ")");
            }
            extent.write(pos - starts[i], src.asSlice(done, n));
            done += n;
        }
    }

    @Override
    protected void doFlush() {
        for (BlockDevice extent : extents) {
            if (extent != null) {
                extent.flush();
            }
        }
    }

    @Override
    protected void doDiscard(long offset, long length) {
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            int i = extentIndex(pos);
            long n = Math.min(length - done, starts[i + 1] - pos);
            if (extents.get(i) != null) {
                extents.get(i).discard(pos - starts[i], n);
            }
            done += n;
        }
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        int i = extentIndex(offset);
        long n = Math.min(maxLength, starts[i + 1] - offset);
        BlockDevice extent = extents.get(i);
        if (extent == null) {
            return new Extent(offset, n, Extent.Kind.ZERO);
        }
        if (extent instanceof AllocationStatus status) {
            Extent e = status.extentAt(offset - starts[i], n);
            return new Extent(offset, e.length(), e.kind());
        }
        return new Extent(offset, n, Extent.Kind.DATA);
    }

    @Override
    public Extent ownExtentAt(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        int i = extentIndex(offset);
        long n = Math.min(maxLength, starts[i + 1] - offset);
        if (extents.get(i) instanceof LayerLayout layout) {
            Extent e = layout.ownExtentAt(offset - starts[i], n);
            return new Extent(offset, e.length(), e.kind());
        }
        return extentAt(offset, n);
    }

    @Override
    public long hostOffset(long offset) {
        checkExtentQuery(offset, 1);
        int i = extentIndex(offset);
        return extents.get(i) instanceof LayerLayout layout ? layout.hostOffset(offset - starts[i]) : -1;
    }

    @Override
    public long hostRunLength(long offset, long maxLength) {
        checkExtentQuery(offset, maxLength);
        int i = extentIndex(offset);
        long n = Math.min(maxLength, starts[i + 1] - offset);
        return extents.get(i) instanceof LayerLayout layout ? layout.hostRunLength(offset - starts[i], n) : n;
    }

    @Override
    public String hostFile(long offset) {
        checkExtentQuery(offset, 1);
        return files.get(extentIndex(offset));
    }

    @Override
    protected void doClose() {
        RuntimeException failure = null;
        for (BlockDevice extent : extents) {
            if (extent != null) {
                try {
                    extent.close();
                } catch (RuntimeException e) {
                    failure = failure == null ? e : failure;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
