package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDeviceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * An exclusive lock on one lock file, between processes (an OS file lock, {@code fcntl}) and
 * between threads and store instances of this process. A {@link #tryAcquire} holder writes its
 * pid into the file, so a refused {@link #tryAcquire} names the process that holds it. The OS drops the lock when
 * its holder dies (even by {@code kill -9}); the file itself stays.
 *
 * <p>Two ways to take it: {@link #tryAcquire} for long holds (a volume open for writing, a
 * registry) fails at once with {@code StoreLocked} when it is taken; {@link #acquire} waits, for
 * short critical sections (a catalog commit). Either is released by {@link #close()}, from any
 * thread.
 */
public final class StoreLock implements AutoCloseable {

    /** One permit per lock file in this JVM: a FileLock cannot be shared by two channels of one process. */
    private static final ConcurrentHashMap<Path, Semaphore> LOCAL = new ConcurrentHashMap<>();

    private static final String PID = String.format("%-20d%n", ProcessHandle.current().pid());

    private final Path file;
    private final Semaphore local;
    private final FileChannel channel;
    private final FileLock lock;
    /** Whether {@link #close()} closes the channel (false when the caller keeps it for many holds). */
    private final boolean ownsChannel;
    private boolean released;

    private StoreLock(Path file, Semaphore local, FileChannel channel, FileLock lock, boolean ownsChannel) {
        this.file = file;
        this.local = local;
        this.channel = channel;
        this.lock = lock;
        this.ownsChannel = ownsChannel;
    }

    /**
     * Takes the lock on {@code file} now or fails with {@code StoreLocked}: "{@code what} is in use
     * by process PID (lock file FILE)". {@code what} names the resource ("volume web").
     */
    public static StoreLock tryAcquire(Path file, String what) {
        Semaphore local = local(file);
        if (!local.tryAcquire()) {
            throw locked(file, what, Long.toString(ProcessHandle.current().pid()));
        }
        return lock(file, what, local, false);
    }

    /** Takes the lock on {@code file}, waiting for its holder (in this or another process) to release it. */
    public static StoreLock acquire(Path file, String what) {
        Semaphore local = local(file);
        local.acquireUninterruptibly();
        return lock(file, what, local, true);
    }

    /**
     * As {@link #acquire}, through {@code channel}: an open read-write channel on {@code file}
     * that the caller keeps open across many short holds and closes itself, so a hold costs a
     * lock and an unlock, not an open and a close (the catalog lock of every store call).
     */
    static StoreLock acquireThrough(FileChannel channel, Path file) {
        Semaphore local = local(file);
        local.acquireUninterruptibly();
        try {
            return new StoreLock(file, local, channel, channel.lock(), false);
        } catch (IOException e) {
            undo(null, local); // the caller's channel stays open
            throw new BlockDeviceException.Io(file.toString(), "lock", e);
        } catch (RuntimeException e) {
            undo(null, local);
            throw e;
        }
    }

    private static Semaphore local(Path file) {
        return LOCAL.computeIfAbsent(file.toAbsolutePath().normalize(), k -> new Semaphore(1));
    }

    private static StoreLock lock(Path file, String what, Semaphore local, boolean wait) {
        FileChannel channel = null;
        FileLock lock = null;
        try {
            try {
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (NoSuchFileException e) {
                Files.createDirectories(file.toAbsolutePath().getParent());
                channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            try {
                lock = wait ? channel.lock() : channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held through another channel of this JVM that did not go through LOCAL
            }
            if (lock == null) {
                String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).trim();
                throw locked(file, what, holder);
            }
            if (!wait) {
                // the pid is for whoever is refused; fixed width and no truncate (a truncate and
                // rewrite makes ext4 flush the file on close). A waiting lock is never refused.
                channel.write(ByteBuffer.wrap(PID.getBytes(StandardCharsets.UTF_8)), 0);
            }
            return new StoreLock(file, local, channel, lock, true);
        } catch (IOException e) {
            undo(channel, local);
            throw new BlockDeviceException.Io(file.toString(), "lock", e);
        } catch (RuntimeException e) {
            undo(channel, local);
            throw e;
        }
    }

    private static void undo(FileChannel channel, Semaphore local) {
        try {
            if (channel != null) {
                channel.close(); // also releases a lock taken through it
            }
        } catch (IOException ignored) {
            // nothing was locked through it that outlives the channel
        } finally {
            local.release();
        }
    }

    private static StoreException locked(Path file, String what, String holder) {
        return new StoreException(AmiforgeException.Kind.NOT_PERMITTED, "StoreLocked", what + " is in use by process "
                + (holder.isEmpty() ? "(unknown pid)" : holder) + " (lock file " + file + ")");
    }

    /** The lock file. */
    public Path file() {
        return file;
    }

    /** Releases the lock (idempotent). */
    @Override
    public synchronized void close() {
        if (released) {
            return;
        }
        released = true;
        try {
            lock.release();
            if (ownsChannel) {
                channel.close();
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "unlock", e);
        } finally {
            local.release();
        }
    }
}
