package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.BlockDevice;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * One disk image format: recognise it by content, open it as a {@link BlockDevice}, create it,
 * describe it. Implementations are stateless and found by {@link java.util.ServiceLoader} (a
 * {@code provides} clause or a {@code META-INF/services} entry, with a public no-argument
 * constructor); {@link ImageFormats} is the registry.
 *
 * <p>A format never trusts the file: every offset and length read from it is checked against
 * the real file size before it is used, and failures are {@link ImageFormatException}s that
 * name the file, the field and its offset.
 */
public interface ImageFormat {

    /** The format's name as users write it after {@code -O} and qemu-img reports it ("qcow2", "raw"). */
    String name();

    /**
     * Whether this format accepts any content (raw): such a format is probed last, after every
     * format that recognises a signature.
     */
    default boolean acceptsAnything() {
        return false;
    }

    /**
     * Whether {@code header} (the first bytes of a file, up to 4 KiB, shorter for short files)
     * starts an image of this format. Probing is by content only, never by file name.
     */
    boolean probe(MemorySegment header, long fileSize);

    /**
     * Opens {@code path} as a device, opening its backing files through {@code chain} (which
     * enforces the depth cap and detects loops). With {@code readOnly} false the device is
     * writable unless the image's state forbids it (a qcow2 marked corrupt opens read-only).
     */
    BlockDevice open(Path path, boolean readOnly, BackingChain chain);

    /**
     * {@link #open(Path, boolean, BackingChain)} with the external data file the caller names
     * for {@code path} (null: none). Formats without external data files refuse a non-null one.
     */
    default BlockDevice open(Path path, boolean readOnly, BackingChain chain, Path dataFile) {
        if (dataFile != null) {
            throw new ImageFormatException(io.amiforge.blockdev.AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    path + ": format " + name() + " has no external data file (--data-file is for qcow2 images with one)");
        }
        return open(path, readOnly, chain);
    }

    /**
     * Creates {@code path} (replacing any file there) with {@code virtualSize} bytes, or the
     * backing file's size when {@code virtualSize} is negative and a backing file is given, and
     * returns it opened read-write with its backing chain.
     */
    BlockDevice create(Path path, long virtualSize, CreateOptions options);

    /** Describes this one file; the returned info's backing chain is empty. */
    ImageInfo info(Path path);

    /**
     * Changes the virtual size of the image at {@code path} (not open elsewhere) to
     * {@code newSize}: growing adds a range that this file does not store (it reads as zeros,
     * or from the backing file: {@link ImageFormats#resize} makes it zeros), shrinking drops
     * everything past the new end. Formats that cannot be resized refuse with
     * {@code UnsupportedImageFeature}.
     */
    default void resize(Path path, long newSize) {
        throw ImageFormatException.unsupported(path.toString(), name() + " images cannot be resized by amiforge (raw and qcow2 can)");
    }
}
