package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BackgroundPriority;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs the {@link AutoPack} policy of one store: counts each volume's new small snapshot layers
 * (on the journal thread, O(1) per snapshot) and, at the threshold, hands the newest snapshot's
 * chain to one background thread. A pack is chosen and committed on the journal thread (short:
 * O(layers looked at); the commit appends to the catalog log without fsync and waits for no
 * disk), and written on the background thread with no lock held, so volume reads, writes,
 * flushes and snapshot creates go on while it copies. The replaced layers' files are deleted by
 * the background thread once a later group commit made the catalog durable. An
 * operation that changes snapshot layers in place (delete snapshot, an explicit pack) first
 * stops the copy in progress ({@link #excluding}); the pack is then given up, its files deleted,
 * and tried again at the next snapshot of that volume.
 *
 * <p>Failures (an I/O error, a damaged block, a volume locked by another process) are not
 * retried until the volume has had {@code layers} more small snapshots, are logged once per
 * snapshot, and are listed by {@link #failures} (and so by {@link SnapshotStore#verify}); a
 * failed pack changes nothing (copy-on-pack, see {@link LayerPacker}). Thread-safe.
 */
final class AutoPacker {

    private static final System.Logger LOG = System.getLogger(AutoPacker.class.getName());
    private static final int FAILURES_KEPT = 16;
    /** {@code low} (the default: {@link BackgroundPriority}) or {@code normal} (the process's priority, to compare). */
    static final String PRIORITY_PROPERTY = "amiforge.autoPack.priority";

    private final SnapshotStore store;
    private final LayerPacker packer;
    private final AutoPack policy;
    /** Whether the pack thread runs at background priority (nice 19, lowest best-effort I/O). */
    private final boolean lowPriority;
    /** New small layers per volume since its last pack was handed over. */
    private final Map<String, Integer> fresh = new ConcurrentHashMap<>();
    /** Held while a pack's files are written; {@link #excluding} takes it. */
    private final ReentrantLock copying = new ReentrantLock();
    /** Bumped by every {@link #excluding} operation: a pack chosen before it is given up. */
    private final AtomicLong changes = new AtomicLong();
    private final Map<String, String> failures = new LinkedHashMap<>();
    private final AtomicLong packs = new AtomicLong();
    private final AtomicLong layersPacked = new AtomicLong();
    private final AtomicLong bytesCopied = new AtomicLong();
    private final AtomicLong choices = new AtomicLong();
    /** Nanoseconds the choices held the journal thread. */
    private final AtomicLong chooseNanos = new AtomicLong();
    /** Nanoseconds the commits held the journal thread. */
    private final AtomicLong commitNanos = new AtomicLong();
    /** Committed packs whose old layers' files wait for the catalog to be durable, with the durable count at the commit. */
    private final List<Map.Entry<LayerPacker.Job, Long>> replaced = new ArrayList<>();
    private ExecutorService worker;
    private volatile boolean closed;
    /** Whether the leftovers of crashed packs were swept since the store opened (by the first pack). */
    private boolean swept;

    AutoPacker(SnapshotStore store, LayerPacker packer, AutoPack policy) {
        this.store = store;
        this.packer = packer;
        this.policy = policy;
        this.lowPriority = lowPriority();
    }

    /** Reads {@link #PRIORITY_PROPERTY} when the store opens: an unknown value fails the open, not a later snapshot. */
    private static boolean lowPriority() {
        String value = System.getProperty(PRIORITY_PROPERTY, "low");
        return switch (value) {
            case "low" -> true;
            case "normal" -> false;
            default -> throw StoreException.invalid(PRIORITY_PROPERTY + "=" + value + ": expected low or normal");
        };
    }

    /** The policy in force. */
    AutoPack policy() {
        return policy;
    }

    /** A row snapshot of {@code volume} froze {@code layer} as {@code snapshotId}'s (journal thread; O(1)). */
    void snapshotTaken(String volume, String snapshotId, Layer layer) {
        if (!policy.enabled() || closed) {
            return;
        }
        long n = layer.blockCount();
        if (n == 0 || n * layer.blockSize > LayerPacker.SMALL_BYTES) {
            return;
        }
        if (fresh.merge(volume, 1, Integer::sum) >= policy.layers()) {
            fresh.remove(volume);
            worker().execute(() -> packChain(volume, snapshotId));
        }
    }

    private synchronized ExecutorService worker() {
        if (worker == null) {
            String name = "amiforge-autopack-" + store.directory().getFileName();
            worker = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(() -> {
                    if (lowPriority) {
                        BackgroundPriority.lowerCurrentThread();
                    }
                    r.run();
                }, name);
                t.setDaemon(true);
                return t;
            });
        }
        return worker;
    }

    /** The background task: choose (journal), write (here), commit (journal). */
    private void packChain(String volume, String snapshotId) {
        if (closed) {
            return;
        }
        try {
            long[] seenChanges = new long[1];
            deleteReplaced();
            LayerPacker.Job job = store.background(() -> {
                long t0 = System.nanoTime();
                seenChanges[0] = changes.get();
                try {
                    if (!swept) {
                        packer.sweepLeftovers(); // what a crash left (a process dying before its packs' old files went)
                        swept = true;
                    }
                    return packer.chooseTop(snapshotId, volume, policy.layers());
                } finally {
                    choices.incrementAndGet();
                    chooseNanos.addAndGet(System.nanoTime() - t0);
                }
            });
            if (job == null) {
                return;
            }
            LayerPacker.Stop stop = () -> closed || changes.get() != seenChanges[0];
            copying.lock();
            try {
                packer.prepare(job, stop);
                packer.write(job, stop);
                try {
                    packer.openNew(job);
                } catch (RuntimeException e) {
                    packer.discard(job, e);
                    throw e;
                }
            } finally {
                copying.unlock();
            }
            long[] durableAt = new long[1];
            PackReport report;
            try {
                report = store.background(() -> {
                    if (stop.now()) {
                        packer.discard(job, null);
                        return null;
                    }
                    long t0 = System.nanoTime();
                    PackReport r = packer.commit(job, false); // no fsync on the journal: see deleteReplaced
                    durableAt[0] = store.log.syncs();
                    commitNanos.addAndGet(System.nanoTime() - t0);
                    return r;
                });
            } finally {
                LayerPacker.closeLayers(job); // the old layers the commit replaced, unmapped here rather than on the journal
            }
            if (report == null) {
                rearm(volume);
            } else {
                synchronized (replaced) {
                    replaced.add(Map.entry(job, durableAt[0]));
                }
                packs.incrementAndGet();
                layersPacked.addAndGet(report.layers());
                bytesCopied.addAndGet(report.bytes());
            }
        } catch (LayerPacker.Stopped e) {
            rearm(volume);
        } catch (StoreException e) {
            if (!"InvalidSnapshot.NotFound".equals(e.code()) && !closed) { // a snapshot deleted meanwhile needs no pack
                failed(snapshotId, e);
            }
        } catch (RuntimeException e) {
            if (!closed) {
                failed(snapshotId, e);
            }
        }
    }

    /**
     * Deletes the old layers' files of the committed packs whose commit is durable now (a group
     * commit, a flush or another metadata change fsynced the catalog log since): a pack's commit
     * does not fsync, so that it does not hold the journal thread while the disk works.
     */
    void deleteReplaced() {
        synchronized (replaced) {
            long now = store.log.syncs();
            replaced.removeIf(e -> {
                if (e.getValue() >= now) {
                    return false;
                }
                try {
                    packer.deleteReplaced(e.getKey());
                } catch (RuntimeException x) {
                    failed(e.getKey().snapshotId, x); // the files stay: the next sweep deletes them
                }
                return true;
            });
        }
    }

    /** Whether committed packs still wait for a durable catalog before their old files go. */
    private boolean replacedPending() {
        synchronized (replaced) {
            return !replaced.isEmpty();
        }
    }

    /** The chain changed under a pack: the volume's next small snapshot tries again. */
    private void rearm(String volume) {
        if (!closed) {
            fresh.merge(volume, policy.layers() - 1, Math::max);
        }
    }

    private void failed(String snapshotId, RuntimeException e) {
        String message = "automatic pack of the chain of snapshot " + snapshotId + " failed (nothing was changed; "
                + "tried again after " + policy.layers() + " more snapshots of its volume): " + e.getMessage();
        boolean first;
        synchronized (failures) {
            first = failures.put(snapshotId, message) == null;
            if (failures.size() > FAILURES_KEPT) {
                failures.remove(failures.keySet().iterator().next());
            }
        }
        if (first) {
            LOG.log(Level.WARNING, message, e);
        }
    }

    /** The last failed automatic packs (at most 16), oldest first; empty when none failed. */
    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(new ArrayList<>(failures.values()));
        }
    }

    /** What packing did since the store opened ({@link PackStats}). */
    PackStats stats() {
        return new PackStats(packs.get(), layersPacked.get(), bytesCopied.get(), choices.get(), chooseNanos.get(),
                commitNanos.get());
    }

    /**
     * Runs {@code change} (journal thread) with no pack being written: a pack in progress stops
     * at its next batch (and is given up); one chosen before {@code change} is given up too.
     */
    <T> T excluding(Callable<T> change) throws Exception {
        changes.incrementAndGet();
        copying.lock();
        try {
            return change.call();
        } finally {
            copying.unlock();
        }
    }

    /**
     * Waits until every pack handed over so far is committed (durably, its old files deleted),
     * given up or failed.
     */
    void await() {
        ExecutorService w;
        synchronized (this) {
            w = worker;
        }
        if (w == null || closed) {
            return;
        }
        Future<?> done = w.submit(() -> { });
        try {
            done.get();
            if (replacedPending()) {
                store.background(() -> {
                    store.log.syncIfUnsynced();
                    return null;
                });
                deleteReplaced();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException(AmiforgeException.Kind.FAILED, "Interrupted",
                    "interrupted while waiting for the store's automatic packs");
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Stops: a pack being written is given up (its files deleted) at its next batch, which sees
     * {@link #closed}; waits for the thread to end. Not on the journal thread. The thread is not
     * interrupted: an interrupt closes the {@code FileChannel} it is in, and a pack reads the old
     * layers through their own channels, so a layer not yet fsynced then failed the store's closing
     * fsync and could not be read again.
     */
    void close() {
        closed = true;
        changes.incrementAndGet();
        ExecutorService w;
        synchronized (this) {
            w = worker;
        }
        if (w != null) {
            w.shutdown();
            try {
                if (!w.awaitTermination(60, TimeUnit.SECONDS)) {
                    LOG.log(Level.WARNING, "the automatic pack thread of store " + store.directory() + " did not stop within 60 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
