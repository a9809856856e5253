package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import org.roaringbitmap.longlong.LongIterator;
import org.roaringbitmap.longlong.Roaring64Bitmap;

/**
 * Writes one packed layer file ({@link PackFormat}) from the given blocks of a device: the
 * layer's blocks in ascending order, all-zero blocks as zero entries without data. One pass
 * over the blocks, then one sequential pass over the file for the whole-object checksum.
 */
final class LayerPacker {

    /** A packed file: its size, whole-object CRC32C (as in its trailer) and counts. */
    record Packed(Path file, long size, int crc, long entries, long dataBlocks) {
    }

    private LayerPacker() {
    }

    /** Packs {@code blocks} of {@code device} into {@code file} (created or replaced). */
    static Packed pack(BlockDevice device, Roaring64Bitmap blocks, Path file) {
        int blockSize = device.blockSize();
        long count = blocks.getLongCardinality();
        if (count > Integer.MAX_VALUE / PackFormat.ENTRY) {
            throw new IllegalArgumentException(device.name() + ": " + count + " blocks are too many for one packed layer");
        }
        long dataOffset = PackFormat.dataOffset(count, blockSize);
        ByteBuffer index = ByteBuffer.allocate((int) count * PackFormat.ENTRY).order(ByteOrder.LITTLE_ENDIAN);
        CRC32C crc = new CRC32C();
        long dataBlocks = 0;
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE); Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(blockSize, 4096);
            ByteBuffer view = block.asByteBuffer();
            for (LongIterator it = blocks.getLongIterator(); it.hasNext();) {
                long b = it.next();
                if (b < 0 || b >= device.size() / blockSize) {
                    throw new IllegalArgumentException(device.name() + ": block " + b + " is past the end of the device");
                }
                device.read(b * blockSize, block);
                int slot = PackFormat.ZERO_SLOT;
                int sum = 0;
                if (!isZero(block)) {
                    crc.reset();
                    crc.update(view.clear());
                    sum = (int) crc.getValue();
                    slot = (int) dataBlocks;
                    writeFully(out, view.clear(), dataOffset + dataBlocks * blockSize);
                    dataBlocks++;
                }
                index.putLong(b).putInt(slot).putInt(sum);
            }
            index.flip();
            crc.reset();
            crc.update(index.duplicate());
            writeFully(out, PackFormat.header(blockSize, device.size(), count, dataBlocks, (int) crc.getValue()), 0);
            writeFully(out, index, PackFormat.HEADER);
            long end = dataOffset + dataBlocks * blockSize;
            if (dataOffset > PackFormat.HEADER + count * PackFormat.ENTRY) {
                long pad = dataOffset - (PackFormat.HEADER + count * PackFormat.ENTRY);
                writeFully(out, ByteBuffer.allocate((int) pad), PackFormat.HEADER + count * PackFormat.ENTRY);
            }
            int whole = checksum(out, end);
            writeFully(out, PackFormat.trailer(whole), end);
            return new Packed(file, end + PackFormat.TRAILER, whole, count, dataBlocks);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "write of the packed layer", e);
        }
    }

    /** CRC32C of the first {@code length} bytes of {@code channel}. */
    static int checksum(FileChannel channel, long length) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        long pos = 0;
        while (pos < length) {
            buf.clear().limit((int) Math.min(buf.capacity(), length - pos));
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException("file ends at byte " + pos + ", before " + length);
            }
            buf.flip();
            crc.update(buf);
            pos += n;
        }
        return (int) crc.getValue();
    }

    private static boolean isZero(MemorySegment block) {
        long size = block.byteSize();
        for (long i = 0; i < size; i += 8) {
            if (block.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void writeFully(FileChannel out, ByteBuffer buf, long position) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            at += out.write(buf, at);
        }
    }
}
