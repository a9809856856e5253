package io.amiforge.imagefmt.format;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The state of one walk down a backing chain: which files it has visited (to detect a file
 * that backs itself or a loop), how deep it is, and the cap on depth. One rule, stated once:
 * a backing file name is resolved against the directory of the image that names it, unless
 * it is absolute.
 */
public final class BackingChain {

    /** The default cap on backing chain depth (layers below the top image). */
    public static final int DEFAULT_MAX_DEPTH = 1024;

    private final int maxDepth;
    private final List<Path> visited;

    private BackingChain(int maxDepth, List<Path> visited) {
        this.maxDepth = maxDepth;
        this.visited = visited;
    }

    /** A walk starting at {@code top}, allowing at most {@code maxDepth} backing layers below it. */
    public static BackingChain startingAt(Path top, int maxDepth) {
        if (maxDepth < 0) {
            throw new IllegalArgumentException("negative chain depth cap " + maxDepth);
        }
        List<Path> visited = new ArrayList<>();
        visited.add(canonical(top));
        return new BackingChain(maxDepth, visited);
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

    /** Resolves {@code backingName}, stored in {@code image}, to a path (no checks). */
    public static Path resolve(Path image, String backingName) {
        Path name;
        try {
            name = Path.of(backingName);
        } catch (InvalidPathException e) {
            throw ImageFormatException.corrupt(image.toString(), "backing file name '%s' is not a valid path: %s"
                    .formatted(backingName.replace("\0", "\\0"), e.getReason()));
        }
        if (name.isAbsolute()) {
            return name;
        }
        Path dir = image.toAbsolutePath().getParent();
        return dir == null ? name : dir.resolve(name);
    }

    /**
     * Checks that {@code backingName} (stored in {@code image}) may be visited next: it exists,
     * it is not already in the chain, and the chain is not too deep. Returns the resolved path
     * and records it as visited.
     */
    public Path enter(Path image, String backingName) {
        Path resolved = resolve(image, backingName);
        if (!Files.exists(resolved)) {
            throw ImageFormatException.chain(Kind.NOT_FOUND, "%s: backing file '%s' (resolved to %s) does not exist"
                    .formatted(image, backingName, resolved));
        }
        Path canonical = canonical(resolved);
        int seen = visited.indexOf(canonical);
        if (seen >= 0) {
            String what = seen == visited.size() - 1 ? "names itself as its backing file"
                    : "forms a backing loop back to " + visited.get(seen);
            throw ImageFormatException.chain(Kind.INVALID_INPUT, "%s: backing file '%s' %s (chain: %s)"
                    .formatted(image, backingName, what, chainText(canonical)));
        }
        if (depth() + 1 > maxDepth) {
            throw ImageFormatException.chain(Kind.INVALID_INPUT,
                    "%s: backing chain is deeper than the limit of %d layers (next backing file '%s')"
                            .formatted(visited.get(0), maxDepth, backingName));
        }
        visited.add(canonical);
        return resolved;
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
