package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The catalog's change counter: 8 bytes in {@code catalog.seq}, mapped shared by every process
 * that has the store open. A process bumps it, holding the catalog lock, <em>before</em> it makes
 * any change visible (a log batch, a renamed catalog); a process that, holding the catalog lock,
 * finds the value it last saw knows nobody committed since, without a system call.
 *
 * <p>Bumped before, not after: a process that dies between the bump and its change costs the
 * others one needless re-read, never a missed commit. The value is a hint, not data: it is not
 * fsynced, and after a restart every process starts by reading the catalog anyway. This replaces
 * a stat of the catalog (inode, modification time, size), which two commits within one
 * time-stamp tick could leave unchanged (ext4 reuses a freed inode at once).
 */
final class CommitCounter implements AutoCloseable {

    private static final long SIZE = Long.BYTES;
    private static final VarHandle VALUE = ValueLayout.JAVA_LONG.varHandle();

    private final Path file;
    private final FileChannel channel;
    private final Arena arena;
    private final MemorySegment map;

    private CommitCounter(Path file, FileChannel channel, Arena arena, MemorySegment map) {
        this.file = file;
        this.channel = channel;
        this.arena = arena;
        this.map = map;
    }

    /** Maps {@code file}, creating it (8 zero bytes) if absent. */
    static CommitCounter open(FileOps io, Path file) {
        FileChannel channel = null;
        Arena arena = Arena.ofShared();
        try {
            io.before(FileOps.Op.CREATE, file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            // mapping past the end grows the file (with zeros); a file another process grew stays as it is
            MemorySegment map = channel.map(FileChannel.MapMode.READ_WRITE, 0, SIZE, arena);
            return new CommitCounter(file, channel, arena, map);
        } catch (IOException | RuntimeException e) {
            arena.close();
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new BlockDeviceException.Io(file.toString(), "open catalog change counter", (IOException) e);
        }
    }

    /** The current value (any process's bumps included). Catalog lock held. */
    long get() {
        return map.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
    }

    /**
     * The current value, read with acquire semantics: for a reader that does not hold the
     * catalog lock (the lock's system calls order a locked {@link #get}). The mapping starts a
     * page, so the value is aligned.
     */
    long getAcquire() {
        return (long) VALUE.getAcquire(map, 0L);
    }

    /** Adds one and returns the new value. Catalog lock held, before the change is made visible. */
    long bump() {
        long next = get() + 1;
        map.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, next);
        return next;
    }

    @Override
    public void close() {
        arena.close();
        try {
            channel.close();
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "close catalog change counter", e);
        }
    }
}
