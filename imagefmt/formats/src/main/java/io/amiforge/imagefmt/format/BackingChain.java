package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The state of one walk down a backing chain and the one rule that says which backing files
 * may be followed. A backing file name is bytes of the image that names it, so it is hostile
 * input; it is followed only when all of these hold:
 * <ul>
 * <li>it has no {@code ..} component;</li>
 * <li>it is relative (resolved against the directory of the image naming it), unless an extra
 * backing directory was given, in which case an absolute name inside that directory is also
 * accepted;</li>
 * <li>its real path (symbolic links resolved) lies inside the top image's directory or inside
 * the extra backing directory, and not under {@code /proc}, {@code /sys} or {@code /dev};</li>
 * <li>it is a regular file (not a device, FIFO, socket or directory);</li>
 * <li>it is not already in the chain (no loop) and the chain is no deeper than the cap.</li>
 * </ul>
 * A refusal is an {@link ImageFormatException} with code {@code InvalidBackingChain} that names
 * the image and the backing name and never shows bytes of the refused file. The rule is the same
 * whether the image's format was probed or named.
 */
public final class BackingChain {

    /** The default cap on backing chain depth (layers below the top image). */
    public static final int DEFAULT_MAX_DEPTH = 1024;

    private static final List<Path> SYSTEM_TREES = List.of(Path.of("/proc"), Path.of("/sys"), Path.of("/dev"));

    private final int maxDepth;
    private final List<Path> visited;
    private final List<Path> allowedDirs;
    private final boolean absoluteAllowed;

    private BackingChain(int maxDepth, List<Path> visited, List<Path> allowedDirs, boolean absoluteAllowed) {
        this.maxDepth = maxDepth;
        this.visited = visited;
        this.allowedDirs = allowedDirs;
        this.absoluteAllowed = absoluteAllowed;
    }

    /**
     * A walk starting at {@code top}, allowing at most {@code maxDepth} backing layers below it,
     * whose backing files must lie in {@code top}'s directory.
     */
    public static BackingChain startingAt(Path top, int maxDepth) {
        return startingAt(top, maxDepth, null);
    }

    /**
     * A walk starting at {@code top}, allowing at most {@code maxDepth} backing layers below it,
     * whose backing files must lie in {@code top}'s directory or, when {@code backingDir} is not
     * null, in {@code backingDir} (where absolute backing names are then accepted too).
     */
    public static BackingChain startingAt(Path top, int maxDepth, Path backingDir) {
        if (maxDepth < 0) {
            throw new IllegalArgumentException("negative chain depth cap " + maxDepth);
        }
        List<Path> visited = new ArrayList<>();
        Path canonicalTop = canonical(top);
        visited.add(canonicalTop);
        List<Path> allowed = new ArrayList<>();
        Path topDir = canonicalTop.getParent();
        if (topDir != null) {
            allowed.add(topDir);
        }
        if (backingDir != null) {
            if (!Files.isDirectory(backingDir)) {
                throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                        "backing directory " + backingDir + " is not a directory");
            }
            allowed.add(canonical(backingDir));
        }
        return new BackingChain(maxDepth, visited, List.copyOf(allowed), backingDir != null);
    }

    /** How many layers lie above the next one opened through this chain. */
    public int depth() {
        return visited.size() - 1;
    }

    public int maxDepth() {
        return maxDepth;
    }

    /** The canonical files visited so far, top first. */
    public List<Path> visited() {
        return Collections.unmodifiableList(visited);
    }

    /** Resolves {@code backingName}, stored in {@code image}, to a path (no checks: use {@link #enter}). */
    public static Path resolve(Path image, String backingName) {
        Path name = parse(image, backingName);
        if (name.isAbsolute()) {
            return name;
        }
        Path dir = image.toAbsolutePath().getParent();
        return dir == null ? name : dir.resolve(name);
    }

    private static Path parse(Path image, String backingName) {
        try {
            return Path.of(backingName);
        } catch (InvalidPathException e) {
            throw ImageFormatException.corrupt(image.toString(), "backing file name '%s' is not a valid path: %s"
                    .formatted(printable(backingName), e.getReason()));
        }
    }

    /**
     * Checks that {@code backingName} (stored in {@code image}) may be visited next under the
     * class's rule. Returns its real path and records it as visited.
     */
    public Path enter(Path image, String backingName) {
        String shown = printable(backingName);
        Path name = parse(image, backingName);
        for (Path part : name) {
            if (part.toString().equals("..")) {
                throw refused(image, shown, "has a '..' component");
            }
        }
        if (name.isAbsolute() && !absoluteAllowed) {
            throw refused(image, shown, "is an absolute path (name a directory that may hold backing files with --backing-dir)");
        }
        Path resolved = resolve(image, backingName);
        if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) {
            throw ImageFormatException.chain(Kind.NOT_FOUND, "%s: backing file '%s' (resolved to %s) does not exist"
                    .formatted(image, shown, printable(resolved.toString())));
        }
        Path real;
        try {
            real = resolved.toRealPath();
        } catch (IOException e) {
            throw refused(image, shown, "is a symbolic link that leads nowhere");
        }
        for (Path system : SYSTEM_TREES) {
            if (real.startsWith(system)) {
                throw refused(image, shown, "leads into " + system);
            }
        }
        if (allowedDirs.stream().noneMatch(real::startsWith)) {
            throw refused(image, shown, "leads to " + printable(real.toString()) + ", outside " + (allowedDirs.size() == 1
                    ? "the top image's directory " + allowedDirs.get(0)
                    : "the allowed directories " + allowedDirs));
        }
        String type = fileType(real);
        if (type != null) {
            throw refused(image, shown, "is " + type + ", not a regular file");
        }
        int seen = visited.indexOf(real);
        if (seen >= 0) {
            String what = seen == visited.size() - 1 ? "names itself as its backing file"
                    : "forms a backing loop back to " + visited.get(seen);
            throw ImageFormatException.chain(Kind.INVALID_INPUT, "%s: backing file '%s' %s (chain: %s)"
                    .formatted(image, shown, what, printable(chainText(real))));
        }
        if (depth() + 1 > maxDepth) {
            throw ImageFormatException.chain(Kind.INVALID_INPUT,
                    "%s: backing chain is deeper than the limit of %d layers (next backing file '%s')"
                            .formatted(visited.get(0), maxDepth, shown));
        }
        visited.add(real);
        return real;
    }

    /**
     * Opens the backing file {@code backingName} of {@code image} read-only, in
     * {@code backingFormat} or, when that is null, in the format its content shows.
     */
    public BlockDevice openBacking(Path image, String backingName, String backingFormat) {
        Path resolved = enter(image, backingName);
        ImageFormat format = backingFormat == null ? ImageFormats.probe(resolved) : ImageFormats.byName(backingFormat);
        return format.open(resolved, true, this);
    }

    private static ImageFormatException refused(Path image, String shownName, String why) {
        return ImageFormatException.chain(Kind.INVALID_INPUT,
                "%s: refusing backing file '%s': it %s".formatted(image, shownName, why));
    }

    /** What kind of non-regular file {@code real} is, or null for a regular file. */
    private static String fileType(Path real) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return "unreadable (" + e.getClass().getSimpleName() + ")";
        }
        if (attributes.isRegularFile()) {
            return null;
        }
        if (attributes.isDirectory()) {
            return "a directory";
        }
        return "a device, FIFO or socket";
    }

    /** {@code text} with control and non-ASCII characters escaped, safe to put in a message. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(Math.min(text.length(), 1024) + 8);
        int limit = Math.min(text.length(), 1024);
        for (int i = 0; i < limit; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                out.append(c);
            } else {
                out.append(c > 0xff ? String.format("\\u%04x", (int) c) : String.format("\\x%02x", (int) c));
            }
        }
        if (text.length() > limit) {
            out.append("...");
        }
        return out.toString();
    }

    private String chainText(Path again) {
        StringBuilder text = new StringBuilder();
        for (Path p : visited) {
            text.append(p).append(" -> ");
        }
        return text.append(again).toString();
    }

    private static Path canonical(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path.toAbsolutePath().normalize();
        }
    }
}
