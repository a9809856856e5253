package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.AmiforgeException;

/**
 * An image file that cannot be used as asked: corrupt or inconsistent metadata, a feature we
 * do not support, or a broken backing chain. The message names the file, the field and its
 * file offset where there is one, and says actual versus expected.
 */
public class ImageFormatException extends AmiforgeException {

    public ImageFormatException(Kind kind, String code, String message) {
        super(kind, code, message);
    }

    public ImageFormatException(Kind kind, String code, String message, Throwable cause) {
        super(kind, code, message, cause);
    }

    /** Damaged or inconsistent metadata (exit 3, {@code InvalidImageFormat}). */
    public static ImageFormatException corrupt(String file, String message) {
        return new ImageFormatException(Kind.INVALID_INPUT, "InvalidImageFormat", file + ": " + message);
    }

    /** A header field with an invalid value: names the field and its offset in the file. */
    public static ImageFormatException field(String file, String field, long offset, String problem) {
        return corrupt(file, "header field " + field + " (file offset " + offset + "): " + problem);
    }

    /** A valid image that uses a feature amiforge does not implement ({@code UnsupportedImageFeature}). */
    public static ImageFormatException unsupported(String file, String message) {
        return new ImageFormatException(Kind.INVALID_INPUT, "UnsupportedImageFeature", file + ": " + message);
    }

    /** A backing chain that loops, is too deep, or names a missing file ({@code InvalidBackingChain}). */
    public static ImageFormatException chain(Kind kind, String message) {
        return new ImageFormatException(kind, "InvalidBackingChain", message);
    }

    /** A write refused because of the image's state (dirty, corrupt, internal snapshots). */
    public static ImageFormatException notWritable(String file, String message) {
        return new ImageFormatException(Kind.NOT_PERMITTED, "ImageNotWritable", file + ": " + message);
    }
}
