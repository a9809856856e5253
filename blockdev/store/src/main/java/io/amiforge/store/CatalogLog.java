package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The catalog on disk and how it is shared between processes: the saved {@code catalog} file,
 * the checksummed log of batches appended since ({@code catalog.<gen>.log}), and the catalog
 * lock ({@code catalog.lock}) that every commit holds.
 *
 * <p>Every change follows one rule: take the catalog lock, bring the in-memory {@link Catalog}
 * up to date with what other processes committed (a new saved generation is reloaded, new log
 * batches are replayed), change it, commit (append one batch, or save the whole catalog), release.
 * So no process ever loses another's commit, and a reader sees a commit whole or not at all.
 * Journal thread only (the lock depth and the log position are not synchronised).
 */
final class CatalogLog {

    private static final int LOG_CHUNK = 256 * 1024;

    private final Path dir;
    private final Path catalogPath;
    private final Path lockPath;
    private final Catalog catalog;
    /** Names of the volumes whose locks this process holds: their records here are the newest. */
    private final Supplier<Set<String>> heldVolumes;
    /** Told the ids of snapshot layers another process changed or deleted. */
    private final Consumer<Set<String>> changedLayers;
    private StoreLock lock;
    private int depth;
    /** A batch was appended without fsync (a snapshot); the next group commit fsyncs the log. */
    private boolean unsynced;
    /** Batches were appended since the catalog was last saved; closing the store saves it. */
    private boolean appended;
    /** The directory entry of the current log was fsynced (once per log generation). */
    private boolean logEntrySynced;
    private FileChannel log;
    /** Where the next batch goes: the end of the last valid batch. */
    private long logLength;
    private Arena logArena;
    private MemorySegment logMap;

    private final FileOps io;
    /** Space kept for a catalog commit on a full disk (see {@link #commitCatalog}). */
    static final int RESERVE = 1 << 20;
    private final Path reservePath;
    /**
     * The directory fsync after a catalog commit failed: the commit stands (it was renamed into
     * place) and the next group commit or close fsyncs the directory again, failing that flush.
     */
    private boolean directoryUnsynced;
    private FileChannel lockChannel;

    CatalogLog(FileOps io, Path dir, Catalog catalog, Supplier<Set<String>> heldVolumes, Consumer<Set<String>> changedLayers) {
        this.io = io;
        this.dir = dir;
        this.catalogPath = dir.resolve("catalog");
        this.lockPath = dir.resolve("catalog.lock");
        this.reservePath = dir.resolve("catalog.reserve");
        this.catalog = catalog;
        this.heldVolumes = heldVolumes;
        this.changedLayers = changedLayers;
        this.catalog.logGeneration = -1; // nothing loaded yet: the first refresh reads everything
    }

    static Path logPath(Path dir, long generation) {
        return dir.resolve("catalog." + generation + ".log");
    }

    private void closeLogQuietly() {
        try {
            closeLog();
        } catch (IOException | RuntimeException ignored) {
            log = null; // reopened by the next append
        }
    }

    /** Runs {@code op} holding the catalog lock, the catalog brought up to date first. Nests. */
    <T> T locked(Callable<T> op) {
        boolean outer = depth == 0;
        if (outer) {
            lock = StoreLock.acquireThrough(lockChannel(), lockPath);
        }
        depth++;
        boolean ok = false;
        try {
            if (outer) {
                refresh();
            }
            T result = op.call();
            ok = true;
            return result;
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            depth--;
            if (outer) {
                if (!ok) {
                    catalog.logGeneration = -1; // a failed change may have left memory ahead of disk: reload next time
                }
                lock.close();
                lock = null;
            }
        }
    }

    /** Creates the catalog file of a new store (journal thread, locked). */
    void createIfAbsent() {
        if (!Files.exists(catalogPath)) {
            save();
        }
    }

    /** Reads what other processes committed since this process last looked (locked). */
    private void refresh() {
        long saved = Catalog.savedGeneration(catalogPath);
        if (saved != catalog.logGeneration || saved < 0) {
            reload();
            return;
        }
        if (!logGrown()) {
            return;
        }
        Catalog tail = new Catalog();
        long end = tail.replayLog(logPath(dir, catalog.logGeneration), logLength);
        if (end == logLength) {
            return; // only a torn batch (a process died while appending): the next batch overwrites it
        }
        logLength = end;
        Set<String> held = heldVolumes.get();
        tail.volumes.forEach((name, v) -> {
            if (!held.contains(name)) {
                catalog.volumes.put(name, v);
            }
        });
        Set<String> changed = new HashSet<>();
        tail.snapshots.forEach((id, s) -> {
            Catalog.SnapshotRecord before = catalog.snapshots.put(id, s);
            if (before != null && !layerKey(before).equals(layerKey(s))) {
                changed.add(before.layer);
            }
        });
        changedLayers.accept(changed);
    }

    /** Is there anything after our end of the log? (One byte of the shared mapping, or the file size.) */
    private boolean logGrown() {
        try {
            if (log == null) {
                return Files.exists(logPath(dir, catalog.logGeneration));
            }
            if (logMap != null && logLength < logMap.byteSize()) {
                return logMap.get(ValueLayout.JAVA_BYTE, logLength) != 0;
            }
            return log.size() > logLength;
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "read catalog log", e);
        }
    }

    private void reload() {
        Catalog fresh = Catalog.load(catalogPath);
        long end = fresh.replayLog(logPath(dir, fresh.logGeneration), 0);
        Set<String> changed = new HashSet<>();
        catalog.snapshots.forEach((id, s) -> {
            Catalog.SnapshotRecord now = fresh.snapshots.get(id);
            if (now == null || !layerKey(now).equals(layerKey(s))) {
                changed.add(s.layer);
            }
        });
        catalog.replaceWith(fresh, heldVolumes.get());
        changedLayers.accept(changed);
        try {
            closeLog();
            logLength = end;
            if (Files.exists(logPath(dir, catalog.logGeneration))) {
                openLog(end);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "open catalog log", e);
        }
    }

    /** What decides the contents of a snapshot's layer and the chain under it. */
    private static String layerKey(Catalog.SnapshotRecord s) {
        return s.layer + ' ' + s.base + ' ' + s.materialized;
    }

    /**
     * Commits a change durably (locked): fsyncs every written layer, then saves the whole catalog
     * atomically and starts a fresh log. Returns catalog bytes written.
     */
    int commit(Journal journal) {
        Runnable sync = journal.afterForce;
        journal.afterForce = null;
        try {
            journal.forceAll();
        } finally {
            journal.afterForce = sync;
        }
        return save();
    }

    /** Saves the whole catalog durably (locked), starting a fresh log; the old log is then dropped. */
    private int save() {
        assert depth > 0 : "catalog saved without its lock";
        long oldGeneration = catalog.logGeneration;
        catalog.logGeneration = Math.max(oldGeneration, 0) + 1;
        int bytes;
        try {
            bytes = commitCatalog();
        } catch (RuntimeException | Error e) {
            catalog.logGeneration = oldGeneration; // not committed: the old catalog and its log stand
            throw e;
        }
        // Committed (renamed into place): the command has happened, so nothing from here on fails
        // it (that would report a failure for a change that stands, and skip its post-commit work
        // such as deleting dropped layers). A failed directory fsync is retried by the next group
        // commit or close, which report it; a log that could not be reopened is reopened by the next append.
        unsynced = false;
        appended = false;
        try {
            Catalog.fsyncDirectory(io, dir);
            directoryUnsynced = false;
        } catch (RuntimeException e) {
            directoryUnsynced = true;
        }
        try {
            closeLog();
            Files.deleteIfExists(logPath(dir, oldGeneration));
            openLog(0); // created (and pre-zeroed) now, so that a snapshot only rewrites cached pages
        } catch (IOException | RuntimeException e) {
            closeLogQuietly();
            logLength = 0; // the new generation's log starts empty
        }
        keepReserve();
        return bytes;
    }

    /**
     * Commits the catalog; if the file system is full, gives up the space reserve and tries once
     * more, so that a delete (which needs a catalog rewrite before it frees anything) works on a
     * full disk.
     */
    private int commitCatalog() {
        try {
            return catalog.commit(io, catalogPath, true);
        } catch (BlockDeviceException.Io e) {
            if (!noSpace(e) || !releaseReserve()) {
                throw e;
            }
            return catalog.commit(io, catalogPath, true);
        }
    }

    private static boolean noSpace(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("No space left on device")) {
                return true;
            }
        }
        return false;
    }

    private boolean releaseReserve() {
        try {
            return Files.deleteIfExists(reservePath);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Makes sure {@code catalog.reserve} ({@value #RESERVE} bytes of real zeros, not a sparse
     * file) exists, best effort: on a full disk it is left absent and tried again after the next
     * commit.
     */
    void keepReserve() {
        if (Files.exists(reservePath)) {
            return;
        }
        Path tmp = reservePath.resolveSibling("catalog.reserve.tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer zeros = ByteBuffer.allocate(RESERVE);
            while (zeros.hasRemaining()) {
                out.write(zeros);
            }
            out.force(false);
        } catch (IOException e) {
            Catalog.deleteQuietly(tmp);
            return;
        }
        try {
            Files.move(tmp, reservePath, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Catalog.deleteQuietly(tmp);
        }
    }

    /**
     * Appends one batch of record lines to the log (locked; no fsync): atomic (a checksummed
     * batch), survives the process dying, made durable by the next group commit. Returns bytes written.
     */
    int append(String lines) {
        assert depth > 0 : "catalog log appended without its lock";
        byte[] batch = CatalogFormat.logBatch(lines);
        try {
            if (log == null) {
                openLog(logLength);
            }
            if (logLength + batch.length > logMap.byteSize()) {
                growLog(logLength + Math.max(LOG_CHUNK, batch.length));
            }
            io.before(FileOps.Op.WRITE, logPath(dir, catalog.logGeneration));
            MemorySegment.copy(batch, 0, logMap, ValueLayout.JAVA_BYTE, logLength, batch.length);
            logLength += batch.length;
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "append to catalog log", e);
        }
        unsynced = true;
        appended = true;
        return batch.length;
    }

    /**
     * Makes lazily committed batches durable (journal thread, at a group commit, after the
     * layers were fsynced): fsyncs the log (and, once per generation, its directory entry). Takes
     * no lock: an fsync changes nothing another process could see, so a flush never waits for
     * another process's catalog commit.
     */
    void syncIfUnsynced() {
        if (directoryUnsynced) {
            Catalog.fsyncDirectory(io, dir);
            directoryUnsynced = false;
        }
        if (!unsynced || log == null) {
            return;
        }
        try {
            io.before(FileOps.Op.FSYNC, logPath(dir, catalog.logGeneration));
            log.force(false);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "fsync catalog log", e);
        }
        if (!logEntrySynced) {
            Catalog.fsyncDirectory(io, dir);
            logEntrySynced = true;
        }
        unsynced = false;
    }

    /** Folds this process's log batches into a saved catalog (store close), so a closed store has an empty log. */
    void saveIfAppended() {
        if (appended) {
            locked(() -> {
                save();
                return null;
            });
        }
    }

    private void openLog(long validEnd) throws IOException {
        io.before(FileOps.Op.CREATE, logPath(dir, catalog.logGeneration));
        log = FileChannel.open(logPath(dir, catalog.logGeneration), StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE);
        logEntrySynced = false;
        logLength = validEnd;
        growLog(Math.max(LOG_CHUNK, logLength + LOG_CHUNK / 2));
    }

    /**
     * Pre-writes zeros up to {@code size} and maps the log read-write: an append is then a copy
     * into cached pages (no system call, no file-system journal handle for the size or the
     * modification time), which is what keeps a snapshot in the tens of microseconds. The mapping
     * is shared, so other processes' appends show in it. A killed process leaves the pages in the
     * page cache; a torn batch has no valid commit line.
     */
    private void growLog(long size) throws IOException {
        long allocated = log.size(); // another process may have grown it: never zero what it wrote
        if (size > allocated) {
            ByteBuffer zeros = ByteBuffer.allocate((int) (size - allocated));
            io.before(FileOps.Op.WRITE, logPath(dir, catalog.logGeneration));
            while (zeros.hasRemaining()) {
                log.write(zeros, allocated + zeros.position());
            }
            allocated = size;
        }
        if (logArena != null) {
            logArena.close();
        }
        logArena = Arena.ofShared();
        logMap = log.map(FileChannel.MapMode.READ_WRITE, 0, allocated, logArena);
    }

    /** The catalog lock file, open for the life of this store (so a commit does not reopen it). */
    private synchronized FileChannel lockChannel() {
        if (lockChannel == null) {
            try {
                lockChannel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            } catch (IOException e) {
                throw new BlockDeviceException.Io(lockPath.toString(), "open catalog lock", e);
            }
        }
        return lockChannel;
    }

    /** Closes the catalog lock file (store close; no hold may be in progress). */
    synchronized void closeLockFile() throws IOException {
        if (lockChannel != null) {
            lockChannel.close();
            lockChannel = null;
        }
    }

    void closeLog() throws IOException {
        if (logArena != null) {
            logArena.close();
            logArena = null;
            logMap = null;
        }
        if (log != null) {
            log.close();
            log = null;
        }
    }
}
