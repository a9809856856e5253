package io.amiforge.imagefmt.format;

import java.nio.file.Path;

/**
 * An image file to open and how: its format when the caller names it (then the file is not
 * probed, as with {@code qemu-img -f}), the extra directory its backing files may come from,
 * and the cap on chain depth. See {@link BackingChain} for the rule on backing files.
 *
 * @param file          the top image file
 * @param format        the format name ("raw", "qcow2"), or null to decide it by content
 * @param backingDir    a directory backing files may also lie in (absolute backing names are
 *                      accepted inside it), or null for the top image's directory only
 * @param maxChainDepth the most backing layers allowed below the top image
 * @param dataFile      the external data file the caller names for the top image (qcow2 with
 *                      incompatible bit 2), or null: such images are then refused, never opened by
 *                      the name they store
 */
public record ImageSource(Path file, String format, Path backingDir, int maxChainDepth, Path dataFile) {

    /** No external data file named. */
    public ImageSource(Path file, String format, Path backingDir, int maxChainDepth) {
        this(file, format, backingDir, maxChainDepth, null);
    }

    public ImageSource {
        if (file == null) {
            throw new IllegalArgumentException("no image file");
        }
        if (maxChainDepth < 0) {
            throw new IllegalArgumentException("negative chain depth cap " + maxChainDepth);
        }
    }

    /** {@code file}, format probed, backing files only from its own directory, default depth cap. */
    public static ImageSource of(Path file) {
        return new ImageSource(file, null, null, BackingChain.DEFAULT_MAX_DEPTH);
    }

    public ImageSource withFormat(String name) {
        return new ImageSource(file, name, backingDir, maxChainDepth, dataFile);
    }

    public ImageSource withBackingDir(Path dir) {
        return new ImageSource(file, format, dir, maxChainDepth, dataFile);
    }

    public ImageSource withMaxChainDepth(int depth) {
        return new ImageSource(file, format, backingDir, depth, dataFile);
    }

    /** This source with the top image's external data file named by the caller (null: none). */
    public ImageSource withDataFile(Path data) {
        return new ImageSource(file, format, backingDir, maxChainDepth, data);
    }

    /** A new walk down this image's backing chain. */
    public BackingChain chain() {
        return BackingChain.startingAt(file, maxChainDepth, backingDir);
    }
}
