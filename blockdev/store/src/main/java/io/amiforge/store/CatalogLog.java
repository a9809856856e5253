package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The catalog on disk and how it is shared between processes: the saved {@code catalog} file
 * (the base), the chained, checksummed log of batches appended since ({@code catalog.<gen>.log}),
 * the catalog lock ({@code catalog.lock}) that every commit holds, and the change counter
 * ({@code catalog.seq}, see {@link CommitCounter}).
 *
 * <p>Every change follows one rule: take the catalog lock, bring the in-memory {@link Catalog}
 * up to date with what other processes committed (nothing to do if the change counter is where
 * this process left it; else a new base is reloaded, or the new log batches are replayed), change
 * it, commit, release. A commit appends one batch holding only the records that changed (the
 * catalog's pending changes), so it costs O(change); a durable one then fsyncs the log. When the
 * log has grown past the base (and at least {@link #minCompactBytes}), a commit also compacts:
 * the whole catalog is written to a new base (write, fsync, rename, fsync the directory) naming a
 * fresh log generation. So no process ever loses another's commit, and a reader sees a commit
 * whole or not at all. Journal thread only (the lock depth and the log position are not synchronised).
 */
final class CatalogLog {

    private static final int LOG_CHUNK = 256 * 1024;
    /** The default {@link #minCompactBytes}. */
    static final long MIN_COMPACT_BYTES = 4L << 20;

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
    /** Durable points so far: bumped by every fsync of the log and every durably saved base (any thread may read it). */
    private volatile long syncs;
    /** This process appended since it opened the store (closing it compacts if the log is large). */
    private boolean appended;
    /** The directory entry of the current log was fsynced (once per log generation). */
    private boolean logEntrySynced;
    private FileChannel log;
    /** Where the next batch goes (the end of the last valid batch) and the checksum it chains on. */
    private Catalog.LogEnd logEnd = new Catalog.LogEnd(0, 0);
    private Arena logArena;
    private MemorySegment logMap;
    /** The size of the base this process last read or wrote. */
    private long baseBytes;
    /** A log longer than this and than {@link #baseRatio} times the base is compacted by the next durable commit (tests lower it). */
    long minCompactBytes = MIN_COMPACT_BYTES;
    /** See {@link #minCompactBytes}; 0 in tests compacts at every commit. */
    double baseRatio = 1;

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
    private CommitCounter counter;
    /** The change counter as this process last left it (in sync with the disk), or -1. */
    private long seen = -1;

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

    private Path logPath() {
        return logPath(dir, catalog.logGeneration);
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

    /**
     * Runs {@code op}, which only reads the catalog (and may open layers), without the catalog
     * lock when nobody committed since this process last looked: the change counter is where
     * this process left it, so the catalog in memory is the one on disk (a commit bumps the
     * counter before it makes anything visible, so the answer is the store as it was at that
     * moment). Otherwise, or if {@code op} fails after someone committed meanwhile (it may have
     * met a layer file a delete removed), {@code op} runs again under the lock as {@link #locked}.
     * Saves the two system calls of the OS lock on every read-only store call. Journal thread.
     */
    <T> T read(Callable<T> op) {
        if (depth > 0 || seen < 0 || catalog.logGeneration < 0 || counter().getAcquire() != seen) {
            return locked(op);
        }
        long before = seen;
        try {
            return op.call();
        } catch (RuntimeException e) {
            if (counter().getAcquire() == before) {
                throw e; // the store did not change under it: the answer stands
            }
            return locked(op);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Creates the catalog file of a new store (journal thread, locked). */
    void createIfAbsent() {
        if (!Files.exists(catalogPath)) {
            save();
        }
    }

    /**
     * Reads what other processes committed since this process last looked (locked). The common
     * case, nobody committed, costs one read of the shared change counter.
     */
    private void refresh() {
        long now = counter().get();
        if (now == seen && catalog.logGeneration >= 0) {
            return;
        }
        long saved = Catalog.savedGeneration(catalogPath);
        if (saved != catalog.logGeneration || saved < 0) {
            reload();
        } else {
            Set<String> changed = new HashSet<>();
            logEnd = catalog.replayLog(logPath(), logEnd, heldVolumes.get(), changed);
            changedLayers.accept(changed);
        }
        seen = now;
    }

    private void reload() {
        Catalog fresh = Catalog.load(catalogPath);
        Catalog.LogEnd end = fresh.replayLog(logPath(dir, fresh.logGeneration), Catalog.LogEnd.start(fresh.logGeneration),
                Set.of(), new HashSet<>());
        Set<String> changed = new HashSet<>();
        catalog.snapshots.forEach((id, s) -> {
            Catalog.SnapshotRecord now = fresh.snapshots.get(id);
            if (now == null || !Catalog.layerKey(now).equals(Catalog.layerKey(s))) {
                changed.add(s.layer);
            }
        });
        Set<String> held = heldVolumes.get();
        catalog.replaceWith(fresh, held);
        catalog.chainedLog = fresh.chainedLog;
        catalog.clearPending();
        for (String name : held) {
            // kept from memory, which is newest: the next commit writes them (as a whole-catalog save did)
            Catalog.VolumeRecord v = catalog.volumes.get(name);
            if (v != null) {
                catalog.touch(v);
            }
        }
        changedLayers.accept(changed);
        try {
            baseBytes = Files.size(catalogPath);
        } catch (IOException e) {
            baseBytes = 0; // no base yet (a new store)
        }
        try {
            closeLog();
            logEnd = end;
            if (Files.exists(logPath())) {
                openLog();
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "open catalog log", e);
        }
    }

    /**
     * Commits the pending changes durably (locked): fsyncs every written layer, appends one batch
     * of the changed records to the log and fsyncs it; compacts if the log has grown large.
     * Returns catalog bytes written. Throws only if the change was not committed.
     */
    int commit(Journal journal) {
        forceLayers(journal);
        int bytes;
        if (!catalog.chainedLog) {
            bytes = save(); // an older format's base: the first commit writes a format-3 base
        } else {
            String lines = catalog.pendingLines();
            if (lines.isEmpty()) {
                syncIfUnsynced();
                bytes = 0;
            } else {
                bytes = appendBatch(lines, true);
            }
            bytes += compactIfLarge(journal, 1);
        }
        keepReserve();
        return bytes;
    }

    /**
     * Appends the pending changes as one batch (locked; no fsync): atomic (a checksummed batch),
     * survives the process dying, made durable by the next group commit. O(change), except that
     * about once per base size of log it compacts. Returns bytes written.
     */
    int append(Journal journal) {
        if (!catalog.chainedLog) {
            return commit(journal);
        }
        // a snapshot compacts only at four times the threshold (a durable commit, which pays for
        // fsyncs anyway, usually compacts first), so that snapshot latency keeps no compaction in its p99
        return appendBatch(catalog.pendingLines(), false) + compactIfLarge(journal, 4);
    }

    /** Writes the whole catalog as a new base now (locked; an upgrade), durably. Returns bytes written. */
    int compact(Journal journal) {
        forceLayers(journal);
        return save();
    }

    /** fsyncs every written layer without the log's group commit (a commit follows). */
    private static void forceLayers(Journal journal) {
        Runnable sync = journal.afterForce;
        journal.afterForce = null;
        try {
            journal.forceAll();
        } finally {
            journal.afterForce = sync;
        }
    }

    /**
     * Compacts when the log is longer than {@code factor} times both {@link #minCompactBytes} and
     * the base (times {@link #baseRatio}), so the amortised cost of a commit stays O(change). The
     * commits before stand whatever happens: a failed compaction leaves the log as it was, and the
     * next commit tries again.
     */
    private int compactIfLarge(Journal journal, int factor) {
        if (logEnd.offset() <= factor * Math.max(minCompactBytes, (long) (baseRatio * baseBytes))) {
            return 0;
        }
        try {
            return compact(journal);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /**
     * Appends {@code lines} as one batch; {@code durable}: fsyncs the log (and, once per
     * generation, its directory entry), and a failed fsync takes the batch back (zeroes it:
     * nobody else has read it, as the lock is held) so the change counts as not committed.
     */
    private int appendBatch(String lines, boolean durable) {
        assert depth > 0 : "catalog log appended without its lock";
        long start = logEnd.offset();
        byte[] bytes = lines.getBytes(StandardCharsets.UTF_8);
        int chain = CatalogFormat.chainCrc(logEnd.chain(), bytes);
        byte[] batch = CatalogFormat.logBatch(bytes, chain);
        try {
            if (log == null) {
                openLog();
            }
            if (start + batch.length > logMap.byteSize()) {
                growForAppend(start + Math.max(LOG_CHUNK, batch.length));
            }
            io.before(FileOps.Op.WRITE, logPath());
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "append to catalog log", e);
        }
        Catalog.LogEnd before = logEnd;
        seen = counter().bump(); // before the batch is visible: see CommitCounter
        MemorySegment.copy(batch, 0, logMap, ValueLayout.JAVA_BYTE, start, batch.length);
        logEnd = new Catalog.LogEnd(start + batch.length, chain);
        appended = true;
        if (durable) {
            try {
                syncLog();
            } catch (RuntimeException | Error e) {
                logMap.asSlice(start, batch.length).fill((byte) 0);
                logEnd = before;
                throw e;
            }
        } else {
            unsynced = true;
        }
        catalog.clearPending();
        assert matchesDisk();
        return batch.length;
    }

    /** Grows the log for an append; on a full disk gives up the space reserve and tries once more. */
    private void growForAppend(long size) throws IOException {
        try {
            growLog(size);
        } catch (IOException e) {
            if (!noSpace(e) || !releaseReserve()) {
                throw e;
            }
            growLog(size);
        }
    }

    private void syncLog() {
        try {
            io.before(FileOps.Op.FSYNC, logPath());
            log.force(false);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "fsync catalog log", e);
        }
        if (!logEntrySynced) {
            Catalog.fsyncDirectory(io, dir);
            logEntrySynced = true;
        }
        unsynced = false;
        syncs++; // journal thread only writes it
    }

    /**
     * How many times the catalog was made durable so far: a batch appended (without fsync) before
     * this count grew past the value read after the append is durable now.
     */
    long syncs() {
        return syncs;
    }

    /**
     * Whether the catalog in memory is what the disk holds (base and log replayed): a check, run
     * with assertions on, that every change was marked ({@link Catalog#touch}), since an unmarked
     * one would be lost at the next open.
     */
    private boolean matchesDisk() {
        Catalog disk = Catalog.load(catalogPath);
        disk.replayLog(logPath(dir, disk.logGeneration), Catalog.LogEnd.start(disk.logGeneration), Set.of(), new HashSet<>());
        List<String> want = catalog.sortedLines();
        List<String> got = disk.sortedLines();
        if (!want.equals(got)) {
            List<String> missing = new ArrayList<>(want);
            missing.removeAll(got);
            List<String> stale = new ArrayList<>(got);
            stale.removeAll(want);
            throw new AssertionError("catalog in memory differs from disk after a commit (a change was not marked):\n"
                    + "in memory only: " + missing + "\non disk only: " + stale);
        }
        return true;
    }

    /** Saves the whole catalog durably (locked) as a new base naming a fresh log; the old log is then dropped. */
    private int save() {
        assert depth > 0 : "catalog saved without its lock";
        long oldGeneration = catalog.logGeneration;
        catalog.logGeneration = Math.max(oldGeneration, 0) + 1;
        int bytes;
        try {
            seen = counter().bump(); // before the new base is visible: see CommitCounter
            bytes = commitCatalog();
        } catch (RuntimeException | Error e) {
            catalog.logGeneration = oldGeneration; // not committed: the old catalog and its log stand
            throw e;
        }
        // Committed (renamed into place): the command has happened, so nothing from here on fails
        // it (that would report a failure for a change that stands, and skip its post-commit work
        // such as deleting dropped layers). A failed directory fsync is retried by the next group
        // commit or close, which report it; a log that could not be reopened is reopened by the next append.
        catalog.chainedLog = true;
        catalog.clearPending();
        baseBytes = bytes;
        unsynced = false;
        try {
            Catalog.fsyncDirectory(io, dir);
            directoryUnsynced = false;
            syncs++;
        } catch (RuntimeException e) {
            directoryUnsynced = true;
        }
        logEnd = Catalog.LogEnd.start(catalog.logGeneration);
        try {
            closeLog();
            Files.deleteIfExists(logPath(dir, oldGeneration));
            openLog(); // created (and pre-zeroed) now, so that a snapshot only rewrites cached pages
        } catch (IOException | RuntimeException e) {
            closeLogQuietly();
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
        syncLog();
    }

    /**
     * At store close (the layers and the log were just fsynced): if this process appended and the
     * log has grown large, compacts it, so a store used only by short-lived processes (the CLI)
     * still compacts. A small log stays: the next open replays it.
     */
    void closing(Journal journal) {
        if (appended) {
            locked(() -> compactIfLarge(journal, 1));
        }
    }

    private void openLog() throws IOException {
        io.before(FileOps.Op.CREATE, logPath());
        log = FileChannel.open(logPath(), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        logEntrySynced = false;
        growLog(Math.max(LOG_CHUNK, logEnd.offset() + LOG_CHUNK / 2));
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
            io.before(FileOps.Op.WRITE, logPath());
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

    /** The change counter, mapped for the life of this store. */
    private synchronized CommitCounter counter() {
        if (counter == null) {
            counter = CommitCounter.open(io, dir.resolve("catalog.seq"));
        }
        return counter;
    }

    /** Closes the catalog lock file and the change counter (store close; no hold may be in progress). */
    synchronized void closeShared() throws IOException {
        if (counter != null) {
            counter.close();
            counter = null;
        }
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
