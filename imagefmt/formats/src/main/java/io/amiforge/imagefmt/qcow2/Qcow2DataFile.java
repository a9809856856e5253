package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Which external data file an image with incompatible bit 2 may use. The name in the image's
 * data file extension is bytes of the image, hostile input like a backing file name, so it is
 * never opened on its own: the caller either names the data file ({@link #named}) or allows the
 * stored name to be resolved beside the image ({@link #besideImage}): relative, without
 * {@code ..}, a regular file whose real path lies in the image's own directory.
 * {@link #NONE} (the default of every generic open) refuses such images with an error naming
 * the header extension, its file offset and the name it asks for.
 *
 * @param path           the data file the caller names, or null
 * @param relativeAllowed whether the stored name may be resolved in the image's directory
 */
public record Qcow2DataFile(Path path, boolean relativeAllowed) {

    /** No data file allowed: images that need one are refused. */
    public static final Qcow2DataFile NONE = new Qcow2DataFile(null, false);

    /** The caller's own data file, used whatever name the image stores. */
    public static Qcow2DataFile named(Path file) {
        return new Qcow2DataFile(file, false);
    }

    /** The name the image stores, accepted only as a relative name inside the image's directory. */
    public static Qcow2DataFile besideImage() {
        return new Qcow2DataFile(null, true);
    }

    /** The data file {@code image} (with header {@code h}, which has the data file bit) is to use, checked by this rule. */
    Path resolve(Path image, Qcow2Header h) {
        String file = image.toString();
        String where = h.dataFile == null
                ? "incompatible feature bit 2 (external data file) is set but the external data file name extension (0x44415441) is missing"
                : "header extension 0x44415441 (external data file name) at file offset %d asks for data file '%s'"
                        .formatted(h.dataFileExtensionOffset, printable(h.dataFile));
        if (path != null) {
            return path;
        }
        if (!relativeAllowed || h.dataFile == null) {
            throw new ImageFormatException(Kind.USAGE, "DataFileRequired", file + ": " + where
                    + "; amiforge never opens a host path because an image names it: name the data file (--data-file PATH;"
                    + " library: Qcow2DataFile.named)"
                    + (h.dataFile == null ? "" : " or allow the stored name beside the image (Qcow2DataFile.besideImage)"));
        }
        Path name;
        try {
            name = Path.of(h.dataFile);
        } catch (InvalidPathException e) {
            throw refused(file, where, "it is not a valid path");
        }
        if (h.dataFile.isEmpty() || name.isAbsolute()) {
            throw refused(file, where, "it is not a relative name");
        }
        for (Path part : name) {
            if (part.toString().equals("..")) {
                throw refused(file, where, "it has a '..' component");
            }
        }
        Path dir = image.toAbsolutePath().getParent();
        Path resolved = dir.resolve(name);
        try {
            Path real = resolved.toRealPath();
            if (!real.startsWith(dir.toRealPath()) || !Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                throw refused(file, where, "its real path " + real + " is not a regular file inside " + dir);
            }
            return real;
        } catch (IOException e) {
            throw new ImageFormatException(Kind.NOT_FOUND, "FileNotFound", file + ": " + where + ", which does not exist in " + dir);
        }
    }

    private static ImageFormatException refused(String file, String where, String why) {
        return new ImageFormatException(Kind.USAGE, "InvalidDataFile", file + ": " + where + "; refused beside the image because "
                + why + " (name the data file with --data-file PATH instead)");
    }

    private static String printable(String name) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length() && i < 200; i++) {
            char c = name.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }
}
