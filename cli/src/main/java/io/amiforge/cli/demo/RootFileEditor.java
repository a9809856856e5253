package io.amiforge.cli.demo;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a guest would do to its own root filesystem, done from outside for the demo: read a
 * file, and overwrite a file's bytes in place (same length, padded with spaces) through the
 * physical blocks the ext reader reports. The disk may be partitioned or not.
 */
final class RootFileEditor {

    private RootFileEditor() {
    }

    static String readFile(BlockDevice disk, String path) {
        return new String(ExtFileSystem.open(rootFileSystemDevice(disk)).readAll(path, 1 << 20), StandardCharsets.UTF_8);
    }

    /** Overwrites {@code path}'s bytes with {@code content} (space-padded to the old length); returns blocks written. */
    static int replaceFile(BlockDevice disk, String path, byte[] content) {
        {
            BlockDevice fsDevice = rootFileSystemDevice(disk);
            ExtFileSystem fs = ExtFileSystem.open(fsDevice);
            ExtFileSystem.ExtFile file = fs.openFile(path);
            long size = file.size();
            if (content.length > size) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        path + " holds " + size + " bytes; an in-place rewrite cannot grow it to " + content.length);
            }
            byte[] padded = Arrays.copyOf(content, (int) size);
            Arrays.fill(padded, content.length, padded.length, (byte) ' ');
            if (content.length > 0 && content[content.length - 1] == '\n' && padded.length > content.length) {
                padded[content.length - 1] = ' ';
                padded[padded.length - 1] = '\n';
            }
            int blockSize = fs.superblock().blockSize();
            int written = 0;
            for (long[] run : file.runs()) {
                long logical = run[0];
                long physical = run[1];
                for (long i = 0; i < run[2]; i++) {
                    long fileOffset = (logical + i) * blockSize;
                    if (fileOffset >= size) {
                        break;
                    }
                    int n = (int) Math.min(blockSize, size - fileOffset);
                    fsDevice.write((physical + i) * blockSize, MemorySegment.ofArray(Arrays.copyOfRange(padded,
                            (int) fileOffset, (int) fileOffset + n)));
                    written++;
                }
            }
            return written;
        }
    }

    /** The first partition of {@code disk}, or the disk itself when it is unpartitioned (a view: closing the disk is enough). */
    private static BlockDevice rootFileSystemDevice(BlockDevice disk) {
        PartitionTable table = PartitionTable.read(disk);
        return table.partitions().isEmpty() ? disk : PartitionTable.open(disk, table.partitions().getFirst());
    }
}
