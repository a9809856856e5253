package io.amiforge.transfer;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.OutputFile;
import io.amiforge.imagefmt.format.Zeros;
import io.amiforge.imagefmt.qcow2.Qcow2Writer;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Exports from a snapshot store to image files: any device (a volume or a snapshot) as one flat
 * raw or qcow2 image, and a snapshot as a qcow2 backing chain, one file per snapshot of its
 * lineage ({@code NAME-1.qcow2} the base ... {@code NAME-N.qcow2} the snapshot itself), each file
 * holding exactly the blocks its snapshot stored, with the store's block size as cluster size.
 */
public final class ChainExporter {

    private ChainExporter() {
    }

    /**
     * Writes {@code device} flat as {@code format} ("raw" or "qcow2"); holes stay holes. The
     * bytes are the device's, whatever they look like (a guest's disk that starts with an image
     * header exports as those bytes). The file is written beside {@code target} under a
     * temporary name and renamed at the end ({@link OutputFile}). Returns data bytes written.
     * Raw goes through {@link RawExport}: only the device's data is read, in large runs, and
     * written with large direct writes.
     */
    public static long exportFlat(BlockDevice device, Path target, String format) {
        if ("raw".equals(ImageFormats.byName(format).name())) {
            return OutputFile.write(target, temp -> RawExport.write(device, temp));
        }
        CreateOptions options = CreateOptions.defaults();
        return OutputFile.write(target, temp -> {
            try (BlockDevice dst = ImageFormats.create(temp, format, device.size(), options)) {
                long written = ImageConverter.copy(device, dst, Math.max(4096, device.blockSize()), 2);
                dst.flush();
                return written;
            }
        });
    }

    /**
     * Writes the lineage of {@code snapshotId} as a qcow2 backing chain next to {@code top}: the
     * top file is {@code top} itself, its backing files are named after it with {@code -1},
     * {@code -2}, ... (base first), referenced by relative names. Each file is written under a
     * temporary name and renamed when complete. Returns the files, base first.
     */
    public static List<Path> exportChain(SnapshotStore store, String snapshotId, Path top) {
        Deque<SnapshotInfo> lineage = new ArrayDeque<>();
        for (SnapshotInfo s = store.snapshot(snapshotId); s != null; s = s.parentId() == null ? null : store.snapshot(s.parentId())) {
            lineage.push(s);
        }
        int blockSize = lineage.peek().blockSize();
        if (blockSize < 512 || blockSize > (2 << 20)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "block size " + blockSize + " cannot be a qcow2 cluster size (512 B to 2 MiB)");
        }
        String name = top.getFileName().toString();
        String stem = name.endsWith(".qcow2") ? name.substring(0, name.length() - 6) : name;
        List<Path> files = new ArrayList<>();
        int index = 1;
        int total = lineage.size();
        Path previous = null;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(blockSize, 4096);
            for (SnapshotInfo layer : lineage) {
                Path file = index == total ? top : top.resolveSibling(stem + "-" + index + ".qcow2");
                CreateOptions options = CreateOptions.defaults().withClusterSize(blockSize);
                if (previous != null) {
                    options = options.withBacking(previous.getFileName().toString(), "qcow2");
                }
                CreateOptions layerOptions = options;
                boolean base = previous == null;
                OutputFile.write(file, temp -> {
                    writeLayer(store, layer, temp, layerOptions, buf, blockSize, base);
                    return null;
                });
                files.add(file);
                previous = file;
                index++;
            }
        }
        return files;
    }

    /** Writes the blocks {@code layer} stored into a new qcow2 {@code file}; {@code base}: it has no backing file. */
    private static void writeLayer(SnapshotStore store, SnapshotInfo layer, Path file, CreateOptions options,
                                   MemorySegment buf, int blockSize, boolean base) {
        try (Qcow2Writer writer = Qcow2Writer.create(file, layer.size(), options);
             BlockDevice view = store.openSnapshot(layer.id())) {
            for (long block : store.blocks(layer.id()).blocks()) {
                long offset = block * blockSize;
                MemorySegment data = buf.asSlice(0, Math.min(blockSize, layer.size() - offset));
                view.read(offset, data);
                boolean zero = Zeros.isZero(data);
                if (zero && base) {
                    continue; // zeros at the base are what an unallocated cluster reads anyway
                }
                if (zero) {
                    writer.writeZeroCluster(offset);
                } else {
                    writer.writeCluster(offset, data);
                }
            }
            writer.flush();
        }
    }
}
