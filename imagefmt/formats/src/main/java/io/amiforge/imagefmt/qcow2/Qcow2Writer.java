package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Writes one qcow2 layer cluster by cluster, for exporting a snapshot chain as one qcow2 file
 * per snapshot: the file names its backing file (which is neither opened nor checked), and
 * holds exactly the clusters written to it; every other cluster stays unallocated and so reads
 * from the backing file. Usage:
 *
 * <pre>{@code
 * try (Qcow2Writer w = Qcow2Writer.create(out, size, CreateOptions.defaults().withBacking("base.qcow2", "qcow2"))) {
 *     w.writeCluster(guestOffset, data);   // cluster-aligned, one cluster (or the tail up to the size)
 *     w.writeZeroCluster(otherOffset);     // reads as zeros, hiding the backing file
 * }
 * }</pre>
 */
public final class Qcow2Writer implements AutoCloseable {

    private final Qcow2Image image;
    private final String name;

    private Qcow2Writer(Qcow2Image image, String name) {
        this.image = image;
        this.name = name;
    }

    /** Creates {@code path} (replacing it) with {@code virtualSize} bytes and the given backing file name and format. */
    public static Qcow2Writer create(Path path, long virtualSize, CreateOptions options) {
        Qcow2Creator.create(path, virtualSize, options);
        return new Qcow2Writer(Qcow2Image.open(path, false), path.toString());
    }

    public int clusterSize() {
        return image.clusterSize();
    }

    public long virtualSize() {
        return image.virtualSize();
    }

    /**
     * Stores {@code data} as the cluster at {@code guestOffset}: the offset must be
     * cluster-aligned and the data one cluster long, or exactly the rest of the image for the
     * last cluster.
     */
    public void writeCluster(long guestOffset, MemorySegment data) {
        checkCluster(guestOffset);
        long expected = Math.min(image.clusterSize(), image.virtualSize() - guestOffset);
        if (data.byteSize() != expected) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", "%s: cluster at %d needs %d bytes, got %d"
                    .formatted(name, guestOffset, expected, data.byteSize()));
        }
        image.write(guestOffset, data, (pos, dst) -> {
            throw new IllegalStateException("a whole-cluster write never reads below");
        });
    }

    /**
     * Marks the cluster at {@code guestOffset} as reading zeros regardless of the backing file
     * (a version 3 zero cluster; version 2 stores zeros).
     */
    public void writeZeroCluster(long guestOffset) {
        checkCluster(guestOffset);
        long length = Math.min(image.clusterSize(), image.virtualSize() - guestOffset);
        image.discard(guestOffset, length, true, (pos, dst) -> dst.fill((byte) 0));
    }

    private void checkCluster(long guestOffset) {
        if (guestOffset < 0 || guestOffset >= image.virtualSize() || (guestOffset & (image.clusterSize() - 1)) != 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", "%s: %d is not a cluster offset inside the image (cluster size %d, size %d)"
                    .formatted(name, guestOffset, image.clusterSize(), image.virtualSize()));
        }
    }

    /** Writes the metadata and fsyncs. */
    public void flush() {
        image.flush();
    }

    /** Flushes and closes the file. */
    @Override
    public void close() {
        image.close();
    }
}
