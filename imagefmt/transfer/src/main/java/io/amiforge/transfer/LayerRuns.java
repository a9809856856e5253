package io.amiforge.transfer;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.qcow2.Qcow2Image;
import io.amiforge.store.BlockRuns;
import java.nio.file.Path;

/**
 * Which store blocks an import takes from one image layer, found without reading data: a raw
 * image's data extents (SEEK_DATA/SEEK_HOLE through {@link AllocationStatus}; a file system
 * without hole information gives one data extent, read whole), a qcow2 layer's own allocation
 * map (its data and zero clusters, not its backing file's). Byte extents become block runs:
 * a data extent covers every block it touches, a zero extent only the blocks it fills whole
 * (a block it shares with data or with the backing file is read as data). Cost is one step per
 * extent, never per block.
 */
final class LayerRuns {

    private LayerRuns() {
    }

    /** The runs of a qcow2 {@code file}'s own clusters; zero clusters are kept only with {@code zeros}. */
    static BlockRuns ofQcow2(Path file, int blockSize, boolean zeros) {
        BlockRuns runs = new BlockRuns();
        try (Qcow2Image layer = Qcow2Image.open(file, true)) {
            for (Extent extent : layer.layerAllocation()) {
                add(runs, extent, blockSize, zeros);
            }
        }
        return runs;
    }

    /** The runs of a whole device's data extents (its holes read as zeros and are left out). */
    static BlockRuns ofDevice(BlockDevice device, int blockSize) {
        BlockRuns runs = new BlockRuns();
        long size = device.size();
        if (!(device instanceof AllocationStatus status)) {
            return size == 0 ? runs : runs.data(0, Math.ceilDiv(size, blockSize));
        }
        long pos = 0;
        while (pos < size) {
            Extent extent = status.extentAt(pos, size - pos);
            add(runs, extent, blockSize, false);
            pos = extent.end();
        }
        return runs;
    }

    private static void add(BlockRuns runs, Extent extent, int blockSize, boolean zeros) {
        long first = extent.offset() / blockSize;
        long end = Math.ceilDiv(extent.end(), blockSize);
        switch (extent.kind()) {
            case DATA -> runs.data(first, end - first);
            case ZERO -> {
                if (!zeros) {
                    return;
                }
                long whole = Math.ceilDiv(extent.offset(), blockSize);
                long wholeEnd = extent.end() / blockSize;
                if (whole >= wholeEnd) {
                    runs.data(first, end - first);
                    return;
                }
                runs.data(first, whole - first); // a partly zeroed block: its contents decide
                runs.zeros(whole, wholeEnd - whole);
                runs.data(wholeEnd, end - wholeEnd);
            }
            case UNALLOCATED -> {
                // answered by the backing file's own layer
            }
            default -> throw new IllegalStateException("unknown extent kind " + extent.kind());
        }
    }
}
