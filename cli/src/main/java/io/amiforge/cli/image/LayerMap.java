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
 * ImageFormats#info} walks: raw layers as files (holes are zeros), layers with a
 * {@link LayerLayout} (qcow2, VMDK, VHD, VHDX) alone with their offsets (qcow2: their own
 * clusters only); a layer of any other format answers for everything below it as one layer,
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
                case "qcow2" -> {
                    Qcow2Image image = Qcow2Image.open(file, true);
                    yield new LaidOutLayer(image, image.virtualSize(), image::close);
                }
                case "raw" -> new RawLayer(FileBlockDevice.open(file, true));
                default -> {
                    BlockDevice device = ImageFormats.open(new ImageSource(file, layer.format(), top.backingDir(), top.maxChainDepth()), true);
                    yield device instanceof LayerLayout layout ? new LaidOutLayer(layout, device.size(), device::close)
                            : new DeviceLayer(device);
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

    /** A layer whose file says what it holds itself, and where ({@link LayerLayout}); {@code closer} closes it. */
    private record LaidOutLayer(LayerLayout layout, long size, Runnable closer) implements Layer {

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
            return new Entry(pos, run, depth, true, zero, true, host, host < 0, layout.hostFile(pos)); // data without an offset: compressed
        }

        @Override
        public void close() {
            closer.run();
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
