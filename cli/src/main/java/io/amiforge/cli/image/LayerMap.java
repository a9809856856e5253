package io.amiforge.cli.image;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.format.LayerLayout;
import io.amiforge.imagefmt.qcow2.Qcow2Image;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where each guest byte of an image comes from, layer by layer, as {@code qemu-img map} says it:
 * runs of {@link Entry entries} with the depth of the layer that answers (0 is the top), whether
 * any layer does ({@code present}), whether it reads as zeros or as stored data, and the file
 * offset of stored data. Layers are opened one by one through the backing chain {@link
 * ImageFormats#info} walks: qcow2 layers alone (their own clusters only), raw layers as files
 * (holes are zeros), layers whose device has a {@link LayerLayout} (VMDK, VHD, VHDX) alone with
 * their offsets; a layer of any other format answers for everything below it as one layer,
 * without offsets.
 */
final class LayerMap {

    /**
     * One run of guest bytes with one answer; {@code offset} is -1 when there is none to give,
     * and then {@code compressed} says whether that is because the data is stored compressed;
     * {@code file} names the file the offset is in when it is not the layer's own (a VMDK
     * descriptor's extent), else null.
     */
    record Entry(long start, long length, int depth, boolean present, boolean zero, boolean data, long offset,
            boolean compressed, String file) {

        Entry(long start, long length, int depth, boolean present, boolean zero, boolean data, long offset) {
            this(start, length, depth, present, zero, data, offset, false, null);
        }

        long end() {
            return start + length;
        }

        /** Whether {@code next} continues this entry (same answer, and contiguous in the file where mapped). */
        boolean continuedBy(Entry next) {
            return next.start == end() && next.depth == depth && next.present == present && next.zero == zero
                    && next.data == data && next.compressed == compressed && java.util.Objects.equals(next.file, file)
                    && (offset < 0 ? next.offset < 0 : next.offset == offset + length);
        }

        Entry extendedTo(long newEnd) {
            return new Entry(start, newEnd - start, depth, present, zero, data, offset, compressed, file);
        }
    }

    private LayerMap() {
    }

    /** The map of {@code source}'s whole guest range, adjacent equal entries merged. */
    static List<Entry> of(ImageSource source) {
        ImageInfo info = ImageFormats.info(source);
        List<Layer> layers = new ArrayList<>();
        try {
            for (ImageInfo layer : info.backingChain()) {
                layers.add(Layer.open(layer, source));
            }
            return walk(info.virtualSize(), layers);
        } finally {
            layers.forEach(Layer::close);
        }
    }

    private static List<Entry> walk(long size, List<Layer> layers) {
        List<Entry> entries = new ArrayList<>();
        long pos = 0;
        while (pos < size) {
            long limit = size - pos;
            Entry entry = null;
            for (int depth = 0; depth < layers.size() && entry == null; depth++) {
                Layer layer = layers.get(depth);
                if (pos >= layer.size()) {
                    continue; // past the end of a shorter backing file: nothing there
                }
                Extent e = layer.extentAt(pos, Math.min(limit, layer.size() - pos));
                limit = Math.min(limit, e.length());
                if (e.kind() != Extent.Kind.UNALLOCATED) {
                    entry = layer.entry(pos, limit, depth, e.kind());
                }
            }
            if (entry == null) {
                entry = new Entry(pos, limit, layers.size() - 1, false, true, false, -1);
            }
            Entry last = entries.isEmpty() ? null : entries.getLast();
            if (last != null && last.continuedBy(entry)) {
                entries.set(entries.size() - 1, last.extendedTo(entry.end()));
            } else {
                entries.add(entry);
            }
            pos = entry.end();
        }
        return Collections.unmodifiableList(entries);
    }

    /** One file of the chain, opened alone where its format allows. */
    private interface Layer extends AutoCloseable {

        long size();

        /** The status of the run at {@code pos}: unallocated (ask the layer below), zero or data. */
        Extent extentAt(long pos, long maxLength);

        /** The entry for the run {@code [pos, pos+length)} this layer answers with {@code kind}, possibly shorter. */
        Entry entry(long pos, long length, int depth, Extent.Kind kind);

        @Override
        void close();

        static Layer open(ImageInfo layer, ImageSource top) {
            Path file = Path.of(layer.file());
            return switch (layer.format()) {
                case "qcow2" -> new Qcow2Layer(Qcow2Image.open(file, true));
                case "raw" -> new RawLayer(FileBlockDevice.open(file, true));
                default -> {
                    BlockDevice device = ImageFormats.open(new ImageSource(file, layer.format(), top.backingDir(), top.maxChainDepth()), true);
                    yield device instanceof LayerLayout layout ? new LaidOutLayer(device, layout) : new DeviceLayer(device);
                }
            };
        }
    }

    /** A raw file: every byte is present, at its own offset; holes read as zeros. */
    private record RawLayer(FileBlockDevice file) implements Layer {
        @Override
        public long size() {
            return file.size();
        }

        @Override
        public Extent extentAt(long pos, long maxLength) {
            Extent e = file.extentAt(pos, maxLength);
            return e.kind() == Extent.Kind.UNALLOCATED ? new Extent(pos, e.length(), Extent.Kind.ZERO) : e;
        }

        @Override
        public Entry entry(long pos, long length, int depth, Extent.Kind kind) {
            return new Entry(pos, length, depth, true, kind == Extent.Kind.ZERO, kind == Extent.Kind.DATA, pos);
        }

        @Override
        public void close() {
            file.close();
        }
    }

    /** One qcow2 file without its backing file: its own data and zero clusters; the rest is unallocated. */
    private static final class Qcow2Layer implements Layer {
        private final Qcow2Image image;
        private final List<Extent> allocation;

        Qcow2Layer(Qcow2Image image) {
            this.image = image;
            this.allocation = image.layerAllocation();
        }

        @Override
        public long size() {
            return image.virtualSize();
        }

        @Override
        public Extent extentAt(long pos, long maxLength) {
            int low = 0;
            int high = allocation.size() - 1;
            while (low <= high) { // the last extent starting at or before pos
                int mid = (low + high) >>> 1;
                if (allocation.get(mid).offset() <= pos) {
                    low = mid + 1;
                } else {
                    high = mid - 1;
                }
            }
            if (high >= 0 && allocation.get(high).end() > pos) {
                Extent e = allocation.get(high);
                return new Extent(pos, Math.min(maxLength, e.end() - pos), e.kind());
            }
            long next = low < allocation.size() ? allocation.get(low).offset() : Long.MAX_VALUE;
            return new Extent(pos, Math.min(maxLength, next - pos), Extent.Kind.UNALLOCATED);
        }

        @Override
        public Entry entry(long pos, long length, int depth, Extent.Kind kind) {
            if (kind == Extent.Kind.ZERO) {
                return new Entry(pos, length, depth, true, true, false, -1);
            }
            long cluster = image.clusterSize();
            long host = image.hostOffset(pos);
            long end = Math.min(pos + length, (pos & -cluster) + cluster);
            while (end < pos + length && image.hostOffset(end) == (host < 0 ? -1 : host + (end - pos))) {
                end = Math.min(pos + length, end + cluster); // the run goes on while it stays contiguous in the file
            }
            return new Entry(pos, end - pos, depth, true, false, true, host, host < 0, null);
        }

        @Override
        public void close() {
            image.close();
        }
    }

    /** A layer whose device says what its own file holds, and where ({@link LayerLayout}). */
    private record LaidOutLayer(BlockDevice device, LayerLayout layout) implements Layer {
        @Override
        public long size() {
            return device.size();
        }

        @Override
        public Extent extentAt(long pos, long maxLength) {
            return layout.ownExtentAt(pos, maxLength);
        }

        /** A run of zeros with an offset (a hole in a plain region) is data and zeros there, as qemu-img says. */
        @Override
        public Entry entry(long pos, long length, int depth, Extent.Kind kind) {
            long host = layout.hostOffset(pos);
            boolean zero = kind == Extent.Kind.ZERO;
            if (zero && host < 0) {
                return new Entry(pos, length, depth, true, true, false, -1);
            }
            long run = layout.hostRunLength(pos, length);
            return new Entry(pos, run, depth, true, zero, true, host, host < 0 && layout.compressed(), layout.hostFile(pos));
        }

        @Override
        public void close() {
            device.close();
        }
    }

    /** A format without a layer-by-layer view: it answers for its whole chain, data or zeros, offsets unknown. */
    private record DeviceLayer(BlockDevice device) implements Layer {
        @Override
        public long size() {
            return device.size();
        }

        @Override
        public Extent extentAt(long pos, long maxLength) {
            return AllocationStatus.of(device, pos, maxLength);
        }

        @Override
        public Entry entry(long pos, long length, int depth, Extent.Kind kind) {
            return new Entry(pos, length, depth, true, kind == Extent.Kind.ZERO, kind == Extent.Kind.DATA, -1);
        }

        @Override
        public void close() {
            device.close();
        }
    }
}
