package io.amiforge.store;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;

/**
 * Fills a fresh layer from a device and the {@link BlockRuns} to take from it: each data run is
 * read in reads of up to a whole {@link LayerBulk} batch (4 MiB) straight into the batch buffer,
 * so a byte is read once and written once; all-zero blocks store no data; zero runs read
 * nothing. Cost is proportional to the blocks in the runs, never to the device's size.
 */
final class LayerImport {

    private LayerImport() {
    }

    /**
     * Loads {@code runs} of {@code source} into {@code bulk}. With {@code keepZeros} (a layer
     * over a parent) zero runs and all-zero data blocks become explicit zeros that shadow the
     * parent; without, they are left out. Returns the number of blocks that stored data.
     */
    static long fill(LayerBulk bulk, BlockDevice source, BlockRuns runs, boolean keepZeros) {
        int blockSize = bulk.blockSize();
        long stored = 0;
        for (int r = 0; r < runs.size(); r++) {
            long first = runs.first(r);
            long count = runs.count(r);
            if (runs.isZero(r)) {
                if (keepZeros) {
                    bulk.addZero(first, count);
                }
                continue;
            }
            long done = 0;
            while (done < count) {
                MemorySegment room = bulk.room(count - done);
                source.read((first + done) * blockSize, room);
                stored += bulk.addRoom(first + done, room, keepZeros);
                done += room.byteSize() / blockSize;
            }
        }
        return stored;
    }
}
