package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Changes the backing file of a qcow2 image, as {@code qemu-img rebase}. Unsafe ({@code -u})
 * only rewrites the name and format in the header. Safe first makes the image read the same
 * over the new backing file as over the old chain: every cluster the image does not store
 * itself is read from both, and where they differ the old content is written into the image;
 * then the header changes. An empty new name means no backing file (everything the old chain
 * gave is copied in). The new backing file must pass the same rule as any backing file
 * ({@link BackingChain}): relative names inside the image's directory or {@code backingDir}.
 */
public final class Qcow2Rebase {

    private static final int CHUNK = 1 << 20;

    private Qcow2Rebase() {
    }

    /**
     * Rebases {@code top} onto {@code backing} ({@code ""} or null: none) in {@code backingFormat}
     * (null: probed and recorded); {@code progress} receives bytes compared (safe mode only).
     */
    public static void rebase(ImageSource top, String backing, String backingFormat, boolean unsafe, LongConsumer progress) {
        Path file = top.file();
        String name = backing == null || backing.isEmpty() ? null : backing;
        if (!ImageFormats.formatOf(top).name().equals("qcow2")) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", file + ": only qcow2 images can be rebased");
        }
        String format = backingFormat;
        ImageSource newBase = null;
        if (name != null) {
            Path resolved = BackingChain.startingAt(file, top.maxChainDepth(), top.backingDir()).enter(file, name);
            newBase = new ImageSource(resolved, backingFormat, top.backingDir(), top.maxChainDepth());
            if (format == null) {
                format = ImageFormats.formatOf(newBase).name();
            } else {
                format = ImageFormats.byName(format).name();
            }
        } else if (unsafe) {
            format = null;
        }
        Qcow2Header before;
        try (Qcow2File f = Qcow2File.open(file, false)) {
            before = Qcow2Image.readHeader(f);
        }
        if (!unsafe && (before.backingFile != null || name != null)) {
            if (before.nbSnapshots != 0) {
                throw ImageFormatException.notWritable(file.toString(), "a safe rebase writes into the image, and images with "
                        + "internal snapshots are not written by amiforge; delete the snapshots or use -u");
            }
            copyDifferences(top, newBase, progress);
        }
        try (Qcow2File f = Qcow2File.open(file, true)) {
            Qcow2BackingName.write(f, Qcow2Image.readHeader(f), name, name == null ? null : format);
        }
    }

    private static void copyDifferences(ImageSource top, ImageSource newBase, LongConsumer progress) {
        try (Qcow2Image layer = Qcow2Image.open(top.file(), true);
                BlockDevice image = ImageFormats.open(top, false);
                BlockDevice base = newBase == null ? null : ImageFormats.open(newBase, true);
                Arena arena = Arena.ofConfined()) {
            int cs = layer.clusterSize();
            MemorySegment old = arena.allocate(CHUNK, 4096);
            MemorySegment now = arena.allocate(CHUNK, 4096);
            long size = image.size();
            long baseSize = base == null ? 0 : base.size();
            Mapping m = new Mapping();
            long pos = 0;
            while (pos < size) {
                layer.map(pos, Math.min(CHUNK, size - pos), m);
                long length = m.length;
                if (m.kind == Mapping.UNALLOCATED) {
                    for (long at = pos; at < pos + length; at += CHUNK) {
                        int n = (int) Math.min(CHUNK, pos + length - at);
                        image.read(at, old.asSlice(0, n));
                        now.asSlice(0, n).fill((byte) 0);
                        if (at < baseSize) {
                            base.read(at, now.asSlice(0, (int) Math.min(n, baseSize - at)));
                        }
                        writeDifferentClusters(image, at, n, cs, old, now);
                    }
                }
                progress.accept(length);
                pos += length;
            }
            image.flush();
        }
    }

    /** Writes the clusters of {@code [at, at+n)} whose old content differs from the new base's. */
    private static void writeDifferentClusters(BlockDevice image, long at, int n, int cs, MemorySegment old, MemorySegment now) {
        int from = 0;
        while (from < n) {
            int to = (int) Math.min(n, ((at + from) / cs + 1) * cs - at);
            if (old.asSlice(from, to - from).mismatch(now.asSlice(from, to - from)) >= 0) {
                image.write(at + from, old.asSlice(from, to - from));
            }
            from = to;
        }
    }
}
