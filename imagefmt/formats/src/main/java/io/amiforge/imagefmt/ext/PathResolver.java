package io.amiforge.imagefmt.ext;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Resolves '/'-separated paths from the root, component by component, iteratively: symbolic
 * links are spliced into the remaining components (absolute targets restart at the root), at
 * most {@link ExtFileSystem#MAX_SYMLINKS} per lookup; a non-directory in the middle is
 * {@code NotADirectory}, a missing name {@code FileNotFound}.
 */
final class PathResolver {

    private final ExtFileSystem fs;
    private final DirectoryReader directories;

    PathResolver(ExtFileSystem fs, DirectoryReader directories) {
        this.fs = fs;
        this.directories = directories;
    }

    /** The inode {@code path} names; a symbolic link in the last component is followed only when {@code followLast}. */
    Inode resolve(String path, boolean followLast) {
        Deque<String> parts = new ArrayDeque<>();
        split(path, parts, false);
        Inode current = fs.inode(ExtFileSystem.ROOT);
        int links = 0;
        StringBuilder walked = new StringBuilder();
        while (!parts.isEmpty()) {
            String part = parts.pollFirst();
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (current.type() != FileType.DIRECTORY) {
                throw ExtErrors.notDirectory(fs.name(), walked.isEmpty() ? "/" : walked.toString());
            }
            long child = directories.find(current, part.getBytes(StandardCharsets.UTF_8));
            walked.append('/').append(part);
            if (child < 0) {
                throw ExtErrors.notFound(fs.name(), walked.toString());
            }
            Inode next = fs.inode(child);
            if (next.type() == FileType.SYMLINK && (followLast || !parts.isEmpty())) {
                if (++links > ExtFileSystem.MAX_SYMLINKS) {
                    throw ExtErrors.loop(fs.name(), path, ExtFileSystem.MAX_SYMLINKS);
                }
                String target = new String(fs.linkTarget(next), StandardCharsets.UTF_8);
                if (target.startsWith("/")) {
                    current = fs.inode(ExtFileSystem.ROOT);
                }
                split(target, parts, true);
                continue;
            }
            current = next;
        }
        return current;
    }

    private static void split(String path, Deque<String> into, boolean front) {
        String[] items = path.split("/");
        if (front) {
            for (int i = items.length - 1; i >= 0; i--) {
                into.addFirst(items[i]);
            }
        } else {
            into.addAll(Arrays.asList(items));
        }
    }
}
