package io.amiforge.cli.fs;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.nio.file.Path;

/**
 * Opens the filesystem an {@code fs} command works on: the image (any format of the image-format
 * SPI, probed by content), then partition
 * {@code --partition N} (1-based; 0 means the whole disk), else the whole disk when it has no partition table, else the
 * only partition or the first Linux one.
 */
final class FsImages {

    private FsImages() {
    }

    /** An open filesystem and the device to close after use. */
    record Opened(BlockDevice disk, ExtFileSystem fs) implements AutoCloseable {
        @Override
        public void close() {
            disk.close();
        }
    }

    static Opened open(ImageSource source, Integer partition) {
        Path image = source.file();
        BlockDevice disk = ImageFormats.open(source, true);
        try {
            PartitionTable table = PartitionTable.read(disk);
            BlockDevice target;
            if (partition != null && partition == 0) {
                target = disk; // --partition 0: the whole disk, whatever table it has
            } else if (partition != null) {
                Partition p = table.partition(partition).orElseThrow(() -> new AmiforgeException(AmiforgeException.Kind.NOT_FOUND,
                        "PartitionNotFound", "%s: no partition %d (%s table with %s)".formatted(image, partition, table.scheme(),
                                table.partitions().stream().map(x -> String.valueOf(x.index())).toList())));
                target = PartitionTable.open(disk, p);
            } else if (table.scheme() == PartitionTable.Scheme.NONE) {
                target = disk;
            } else {
                Partition p = table.partitions().size() == 1 ? table.partitions().getFirst()
                        : table.partitions().stream().filter(Partition::isLinux).findFirst().orElseThrow(() ->
                        new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                                "%s: %d partitions and none of Linux type: choose one with --partition N"
                                        .formatted(image, table.partitions().size())));
                target = PartitionTable.open(disk, p);
            }
            return new Opened(disk, ExtFileSystem.open(target));
        } catch (RuntimeException e) {
            disk.close();
            throw e;
        }
    }
}
