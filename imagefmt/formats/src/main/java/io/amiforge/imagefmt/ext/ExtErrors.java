package io.amiforge.imagefmt.ext;

import io.amiforge.blockdev.AmiforgeException;

/** Builds the exceptions of this package. */
final class ExtErrors {

    private ExtErrors() {
    }

    /** Damaged or unsupported on-disk data. */
    static AmiforgeException corrupt(String device, String message) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidFilesystem", device + ": " + message);
    }

    static AmiforgeException notFound(String device, String path) {
        return new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", device + ": " + path + ": no such file or directory");
    }

    static AmiforgeException notDirectory(String device, String path) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "NotADirectory", device + ": " + path + ": not a directory");
    }

    static AmiforgeException wrongType(String device, String path, String expected) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue",
                device + ": " + path + ": is not " + expected);
    }

    static AmiforgeException loop(String device, String path, int limit) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "SymlinkLoop",
                device + ": " + path + ": too many levels of symbolic links (more than " + limit + ")");
    }

    static AmiforgeException tooLarge(String device, String path, long size, long max) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "FileTooLarge",
                "%s: %s: %d bytes is more than the limit of %d".formatted(device, path, size, max));
    }

    static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", message);
    }
}
