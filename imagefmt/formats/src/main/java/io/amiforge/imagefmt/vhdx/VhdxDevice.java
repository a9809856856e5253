package io.amiforge.imagefmt.vhdx;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.sparse.BlockMappedDevice;
import io.amiforge.imagefmt.sparse.HostFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A VHDX disk (no parent) as a device, read-only or, when its log is empty, writable: a new
 * block is appended at the next 1 MiB boundary after everything the file holds and marked
 * fully present; the BAT is written back on flush and close (in place, not through the log:
 * a crash between a block's data and the BAT write loses that block's data, never older data),
 * and the file is extended to cover every block. Its BAT interleaves one sector-bitmap entry
 * after every {@link VhdxMetadata#chunkRatio()} payload entries; a payload entry's low three
 * bits are its state and bits 20-63 its file offset in MiB. Fully present blocks read from the
 * file, zero and unmapped blocks as zeros, not-present blocks as zeros (there is no parent).
 */
final class VhdxDevice extends BlockMappedDevice {

    static final int NOT_PRESENT = 0;
    static final int UNDEFINED = 1;
    static final int ZERO_STATE = 2;
    static final int UNMAPPED = 3;
    static final int FULLY_PRESENT = 6;
    static final int PARTIALLY_PRESENT = 7;

    private static final long MIB = 1 << 20;

    private final long[] bat;
    private final long chunkRatio;
    private final long batOffset;
    private long nextFree;
    private boolean batDirty;

    VhdxDevice(HostFile file, VhdxRegions regions, VhdxMetadata metadata, boolean readOnly) {
        super(file, metadata.virtualSize(), metadata.blockSize(), readOnly, null);
        this.batOffset = regions.batOffset();
        this.chunkRatio = metadata.chunkRatio();
        long payload = (metadata.virtualSize() + metadata.blockSize() - 1) / metadata.blockSize();
        long entries = payload == 0 ? 0 : payload + (payload - 1) / chunkRatio;
        if (entries * 8 > regions.batLength()) {
            throw ImageFormatException.corrupt(file.name(), "VHDX BAT region at file offset 0x%x holds %d bytes, %d entries need %d"
                    .formatted(regions.batOffset(), regions.batLength(), entries, entries * 8));
        }
        ByteBuffer b = file.readStructure(regions.batOffset(), entries * 8, "VHDX BAT", ByteOrder.LITTLE_ENDIAN);
        this.bat = new long[(int) entries];
        for (int i = 0; i < entries; i++) {
            long entry = b.getLong(8 * i);
            boolean bitmap = (i + 1) % (chunkRatio + 1) == 0;
            int state = (int) (entry & 7);
            long offset = (entry >>> 20) << 20;
            if (!bitmap && state == FULLY_PRESENT && offset > file.size() - 1) {
                throw ImageFormatException.corrupt(file.name(),
                        "VHDX BAT entry %d (file offset 0x%x) points to file offset 0x%x, beyond the end of the file (size 0x%x)"
                                .formatted(i, regions.batOffset() + 8L * i, offset, file.size()));
            }
            if (!bitmap && (state == 4 || state == 5 || state == PARTIALLY_PRESENT)) {
                throw ImageFormatException.corrupt(file.name(), "VHDX BAT entry %d (file offset 0x%x) has state %d, invalid for a disk without a parent"
                        .formatted(i, regions.batOffset() + 8L * i, state));
            }
            bat[i] = entry;
        }
        long end = Math.max(file.size(), Math.max(regions.batOffset() + regions.batLength(),
                regions.metadataOffset() + regions.metadataLength()));
        for (int i = 0; i < entries; i++) {
            if ((i + 1) % (chunkRatio + 1) != 0 && (bat[i] & 7) == FULLY_PRESENT) {
                end = Math.max(end, ((bat[i] >>> 20) << 20) + metadata.blockSize());
            }
        }
        this.nextFree = (end + MIB - 1) & -MIB;
    }

    @Override
    protected long lookup(long block) {
        long entry = bat[(int) (block + block / chunkRatio)];
        return switch ((int) (entry & 7)) {
            case FULLY_PRESENT -> (entry >>> 20) << 20;
            case ZERO_STATE, UNMAPPED -> ZERO;
            default -> UNALLOCATED;
        };
    }

    @Override
    protected long allocate(long block) {
        long host = nextFree;
        nextFree += blockBytes;
        bat[(int) (block + block / chunkRatio)] = host | FULLY_PRESENT;
        batDirty = true;
        return host;
    }

    @Override
    protected void writeMetadata() {
        if (!batDirty) {
            return;
        }
        if (file.size() < nextFree) {
            file.truncate(nextFree); // every fully present block lies inside the file
        }
        file.force();
        ByteBuffer b = ByteBuffer.allocate(bat.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long entry : bat) {
            b.putLong(entry);
        }
        file.write(batOffset, b.rewind());
        batDirty = false;
    }
}
