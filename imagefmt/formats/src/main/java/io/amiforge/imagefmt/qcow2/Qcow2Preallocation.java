package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.NativeFile;
import io.amiforge.imagefmt.format.Zeros;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

/**
 * The preallocated part of a new qcow2 file ({@code -o preallocation=}): L2 tables mapping every
 * guest cluster to its own data cluster, laid out contiguously after them, and for
 * {@code falloc} and {@code full} disk blocks for those data clusters (reserved with
 * {@code fallocate}, or written with zeros). The data clusters read as zeros either way.
 */
final class Qcow2Preallocation {

    private Qcow2Preallocation() {
    }

    /**
     * Writes the L1 table at {@code l1Offset} and {@code l1Size} L2 tables from {@code l2Offset}
     * that map guest cluster {@code g} (of {@code clusters}) to {@code dataOffset + g * cs};
     * extended entries get {@code bitmap} as their subcluster bitmap.
     */
    static void map(FileChannel channel, int cs, boolean extended, long bitmap, long clusters, long l1Size, long l1Offset,
                    long l2Offset, long dataOffset) throws IOException {
        int entryBytes = extended ? 16 : 8;
        long perTable = cs / entryBytes;
        ByteBuffer l1 = ByteBuffer.allocate((int) (l1Size * 8));
        ByteBuffer l2 = ByteBuffer.allocate(cs);
        for (long t = 0; t < l1Size; t++) {
            long table = l2Offset + t * cs;
            l1.putLong((int) (t * 8), table | Qcow2Image.COPIED);
            l2.clear();
            java.util.Arrays.fill(l2.array(), (byte) 0);
            for (long e = 0; e < perTable && t * perTable + e < clusters; e++) {
                long host = dataOffset + (t * perTable + e) * cs;
                l2.putLong((int) (e * entryBytes), host | Qcow2Image.COPIED);
                if (extended) {
                    l2.putLong((int) (e * entryBytes + 8), bitmap);
                }
            }
            write(channel, l2.clear(), table);
        }
        write(channel, l1.clear(), l1Offset);
    }

    /** Gives {@code [offset, offset+length)} disk blocks: {@code fallocate}, else (or when {@code zeros}) written zeros. */
    static void fill(Path path, FileChannel channel, long offset, long length, boolean zeros) throws IOException {
        if (!zeros) {
            try (NativeFile nf = NativeFile.open(path, true)) {
                if (nf != null && nf.allocate(offset, length)) {
                    return;
                }
            }
        }
        for (long done = 0; done < length; ) {
            long n = Math.min(Zeros.CHUNK, length - done);
            ByteBuffer chunk = Zeros.SEGMENT.asSlice(0, n).asByteBuffer();
            while (chunk.hasRemaining()) {
                channel.write(chunk, offset + done + chunk.position());
            }
            done += n;
        }
    }

    private static void write(FileChannel channel, ByteBuffer buffer, long offset) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer, offset + buffer.position());
        }
    }
}
