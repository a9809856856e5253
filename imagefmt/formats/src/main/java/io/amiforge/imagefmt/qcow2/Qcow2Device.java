package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.imagefmt.format.CompressedWrites;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A qcow2 image with its whole backing chain as one {@link BlockDevice}. The one rule: each
 * layer answers for its own clusters (data, zero, or unallocated); unallocated ranges are
 * resolved downwards, layer by layer, to zeros below the base or past the end of a shorter
 * backing file. The walk is a loop over the layers, never recursion, so a chain of any
 * permitted depth costs no stack.
 *
 * <p>Writes go to the top image only (copy-on-write from the chain below for partial
 * clusters), or whole clusters compressed through {@link #writeCompressed}; every lower layer
 * is opened read-only. {@link #close()} writes the top image's
 * metadata and closes every layer.
 */
public final class Qcow2Device extends AbstractBlockDevice implements AllocationStatus, CompressedWrites {

    private final Qcow2Image[] images;
    /** One cluster per thread to gather a compressed write in. */
    private final ThreadLocal<byte[]> compressBuffer;
    private final BlockDevice base;

    private Qcow2Device(Qcow2Image top, Qcow2Image[] images, BlockDevice base) {
        super(top.path().getFileName() == null ? top.path().toString() : top.path().getFileName().toString(),
                top.virtualSize(), 512, top.isReadOnly());
        this.images = images;
        this.base = base;
        int cs = top.clusterSize();
        this.compressBuffer = ThreadLocal.withInitial(() -> new byte[cs]);
    }

    /** The device over {@code top} and, below it, {@code backing} (null for none). Takes ownership of both. */
    static Qcow2Device over(Qcow2Image top, BlockDevice backing) {
        List<Qcow2Image> layers = new ArrayList<>();
        layers.add(top);
        BlockDevice base = backing;
        if (backing instanceof Qcow2Device chain) {
            layers.addAll(List.of(chain.images));
            base = chain.base;
        }
        return new Qcow2Device(top, layers.toArray(Qcow2Image[]::new), base);
    }

    /** The top image (the file this device was opened from). */
    public Qcow2Image top() {
        return images[0];
    }

    /** Every qcow2 layer, top first. */
    public List<Qcow2Image> layers() {
        return List.of(images);
    }

    /** The non-qcow2 device at the bottom of the chain (a raw base), or null. */
    public BlockDevice base() {
        return base;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        readFrom(0, offset, dst);
    }

    /** Reads {@code dst} at {@code offset} as the chain from layer {@code first} downwards shows it. */
    private void readFrom(int first, long offset, MemorySegment dst) {
        Mapping m = new Mapping();
        long length = dst.byteSize();
        long done = 0;
        while (done < length) {
            long pos = offset + done;
            long n = length - done;
            int kind = Mapping.UNALLOCATED;
            Qcow2Image owner = null;
            for (int i = first; i < images.length; i++) {
                Qcow2Image image = images[i];
                if (pos >= image.virtualSize()) {
                    kind = Mapping.ZERO;
                    break;
                }
                image.map(pos, Math.min(n, image.virtualSize() - pos), m);
                n = m.length;
                if (m.kind != Mapping.UNALLOCATED) {
                    kind = m.kind;
                    owner = image;
                    break;
                }
            }
            MemorySegment part = dst.asSlice(done, n);
            switch (kind) {
                case Mapping.DATA -> owner.readData(m.host, part);
                case Mapping.COMPRESSED -> owner.readCompressed(m.host, pos & (owner.clusterSize() - 1), part);
                case Mapping.ZERO -> part.fill((byte) 0);
                default -> readBase(pos, part);
            }
            done += n;
        }
    }

    private void readBase(long pos, MemorySegment part) {
        long n = part.byteSize();
        if (base == null || pos >= base.size()) {
            part.fill((byte) 0);
            return;
        }
        long inBase = Math.min(n, base.size() - pos);
        base.read(pos, part.asSlice(0, inBase));
        if (inBase < n) {
            part.asSlice(inBase).fill((byte) 0);
        }
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        images[0].write(offset, src, (pos, dst) -> readFrom(1, pos, dst));
    }

    @Override
    public int compressionUnit() {
        return images[0].clusterSize();
    }

    @Override
    public void writeCompressed(long offset, MemorySegment cluster) {
        checkOpen();
        checkRange(offset, cluster.byteSize());
        int cs = images[0].clusterSize();
        if ((offset & (cs - 1)) != 0 || (cluster.byteSize() != cs && offset + cluster.byteSize() != size())) {
            throw new IllegalArgumentException(name() + ": compressed write of " + cluster.byteSize() + " bytes at " + offset
                    + " is not one whole " + cs + "-byte cluster");
        }
        byte[] whole = compressBuffer.get();
        MemorySegment.copy(cluster, 0, MemorySegment.ofArray(whole), 0, cluster.byteSize());
        if (cluster.byteSize() < cs) {
            java.util.Arrays.fill(whole, (int) cluster.byteSize(), cs, (byte) 0);
        }
        images[0].writeCompressed(offset, whole);
    }

    @Override
    protected void doDiscard(long offset, long length) {
        boolean hasBelow = images.length > 1 || base != null;
        images[0].discard(offset, length, hasBelow, (pos, dst) -> readFrom(1, pos, dst));
    }

    @Override
    protected void doFlush() {
        images[0].flush();
    }

    @Override
    public Extent extentAt(long offset, long maxLength) {
        checkOpen();
        checkRange(offset, maxLength);
        Mapping m = new Mapping();
        long done = 0;
        Extent.Kind runKind = null;
        while (done < maxLength) {
            long pos = offset + done;
            long n = maxLength - done;
            Extent.Kind kind = null;
            for (Qcow2Image image : images) {
                if (pos >= image.virtualSize()) {
                    kind = Extent.Kind.ZERO;
                    break;
                }
                image.map(pos, Math.min(n, image.virtualSize() - pos), m);
                n = m.length;
                if (m.kind != Mapping.UNALLOCATED) {
                    kind = m.kind == Mapping.ZERO ? Extent.Kind.ZERO : Extent.Kind.DATA;
                    break;
                }
            }
            if (kind == null) {
                if (base == null || pos >= base.size()) {
                    kind = Extent.Kind.ZERO;
                } else {
                    n = Math.min(n, base.size() - pos);
                    if (base instanceof AllocationStatus status) {
                        Extent e = status.extentAt(pos, n);
                        kind = e.kind() == Extent.Kind.DATA ? Extent.Kind.DATA : Extent.Kind.ZERO;
                        n = e.length();
                    } else {
                        kind = Extent.Kind.DATA;
                    }
                }
            }
            if (runKind != null && kind != runKind) {
                break;
            }
            runKind = kind;
            done += n;
        }
        return new Extent(offset, done, runKind);
    }

    @Override
    protected void doClose() {
        RuntimeException failure = null;
        for (Qcow2Image image : images) {
            try {
                image.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (base != null) {
            try {
                base.close();
            } catch (RuntimeException e) {
                failure = failure == null ? e : failure;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
