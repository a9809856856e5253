package io.amiforge.store;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * One read-only mapping per pack file, shared by every packed layer whose data file is a link to
 * it (the same file: same {@code fileKey}, device and inode), so that a chain of a thousand packed
 * layers is one mapping, not a thousand: neighbouring blocks of different layers are neighbouring
 * pages of one mapping. Counted: the mapping is unmapped when the last layer using it closes.
 * Thread-safe.
 */
final class PackMappings {

    /** A mapping, and how many layers use it. */
    private static final class Shared {
        final Arena arena;
        final MemorySegment segment;
        int users;

        Shared(Arena arena, MemorySegment segment) {
            this.arena = arena;
            this.segment = segment;
        }
    }

    private final Map<Object, Shared> byFile = new HashMap<>();

    /**
     * The shared mapping of the file {@code channel} has open at {@code path}, made now if no
     * layer maps it yet; null if the file has no key or is empty (the caller maps it itself, or
     * reads with pread). Each non-null answer must be given back with {@link #release} of its
     * {@link Mapping#key()}.
     */
    synchronized Mapping acquire(FileChannel channel, Path path) throws IOException {
        Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
        if (key == null) {
            return null;
        }
        Shared s = byFile.get(key);
        if (s == null) {
            long size = channel.size();
            if (size == 0) {
                return null;
            }
            Arena arena = Arena.ofShared();
            s = new Shared(arena, channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena));
            byFile.put(key, s);
        }
        s.users++;
        return new Mapping(key, s.segment);
    }

    /** A layer's use of a shared mapping: its key (to release it) and the mapped pack. */
    record Mapping(Object key, MemorySegment segment) {
    }

    /** Gives back one use of the mapping of {@code key}; the last one unmaps it. */
    synchronized void release(Object key) {
        Shared s = byFile.get(key);
        if (s != null && --s.users == 0) {
            byFile.remove(key);
            s.arena.close();
        }
    }
}
