package io.amiforge.boot.pv;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Resolves guest paths over a {@link GuestFileSystem}, following symlinks in every component
 * the way the kernel does (relative targets against the link's directory, absolute ones from
 * the root), with a limit of {@value #MAX_LINKS} links per lookup so a loop is a clear error.
 */
public final class GuestPaths {

    /** Symlinks followed in one lookup before giving up (Linux uses 40). */
    public static final int MAX_LINKS = 40;

    private GuestPaths() {
    }

    /** A resolved path: the symlink-free path and the links followed on the way ("a -> b"). */
    public record Resolved(String path, GuestFileSystem.FileType type, List<String> links) {
        public Resolved {
            links = List.copyOf(links);
        }
    }

    /**
     * Resolves {@code path}; fails with {@code FileNotFound} when a component is missing,
     * {@code NotADirectory} when a middle component is a file, and {@code SymlinkLoop} after
     * {@value #MAX_LINKS} links.
     */
    public static Resolved resolve(GuestFileSystem fs, String path) {
        Deque<String> todo = new ArrayDeque<>();
        pushComponents(todo, path);
        List<String> done = new ArrayList<>();
        List<String> links = new ArrayList<>();
        GuestFileSystem.FileType type = GuestFileSystem.FileType.DIRECTORY;
        while (!todo.isEmpty()) {
            String part = todo.pop();
            if (part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!done.isEmpty()) {
                    done.removeLast();
                }
                type = GuestFileSystem.FileType.DIRECTORY;
                continue;
            }
            if (type != GuestFileSystem.FileType.DIRECTORY) {
                throw new PvBootException("NotADirectory", path, "'" + join(done) + "' is not a directory");
            }
            done.add(part);
            String current = join(done);
            Optional<GuestFileSystem.FileType> found = fs.type(current);
            if (found.isEmpty()) {
                throw new PvBootException("FileNotFound", path, "'" + current + "' does not exist");
            }
            type = found.get();
            if (type == GuestFileSystem.FileType.SYMLINK) {
                if (links.size() >= MAX_LINKS) {
                    throw new PvBootException("SymlinkLoop", path, "too many levels of symbolic links ("
                            + MAX_LINKS + " followed, a loop?): " + String.join(", ", links.subList(0, Math.min(6, links.size())))
                            + (links.size() > 6 ? ", ..." : ""));
                }
                String target = fs.readlink(current);
                if (target == null || target.isEmpty()) {
                    throw new PvBootException("FileNotFound", path, "symlink '" + current + "' has an empty target");
                }
                links.add(current + " -> " + target);
                done.removeLast();
                if (target.startsWith("/")) {
                    done.clear();
                }
                pushComponents(todo, target);
                type = GuestFileSystem.FileType.DIRECTORY;
            }
        }
        return new Resolved(join(done), type, links);
    }

    private static void pushComponents(Deque<String> todo, String path) {
        String[] parts = path.split("/");
        for (int i = parts.length - 1; i >= 0; i--) {
            if (!parts[i].isEmpty()) {
                todo.push(parts[i]);
            }
        }
    }

    private static String join(List<String> parts) {
        return "/" + String.join("/", parts);
    }
}
