package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.StoreLock;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The cloud's persistent state per region: {@code ROOT/regions/NAME/registry.json} (images and
 * instances, one {@link RegionState} document) and its lock {@code registry.lock}. A change is a
 * read-modify-write under the lock, saved atomically ({@link AtomicFiles}), so several processes
 * may change one region at once and a crash leaves the old document or the new one.
 *
 * <p>Each region's document is kept parsed between calls and read again only when another
 * change was made since, by this process or any other: {@code registry.seq}
 * ({@link RegistryGeneration}) tells, without a system call. {@link #load} and {@link #mutate}
 * hand out a copy of the kept state, so a change that fails leaves the kept one as it was.
 */
final class RegionRegistry {

    private final Path root;
    private final FileOps fileOps;
    private final Set<String> used = ConcurrentHashMap.newKeySet();
    private final Map<String, Parsed> parsed = new ConcurrentHashMap<>();
    private volatile Consumer<String> onFirstUse = region -> { };

    RegionRegistry(Path root, FileOps fileOps) {
        this.root = root;
        this.fileOps = fileOps;
    }

    /**
     * Runs {@code action} once per region, before this registry first reads or changes it (the
     * cloud recovers interrupted launches there). If it fails, the next use runs it again.
     */
    void onFirstUse(Consumer<String> action) {
        this.onFirstUse = action;
    }

    private void firstUse(String region) {
        String name = Region.named(region).name();
        if (used.add(name)) {
            try {
                onFirstUse.accept(name);
            } catch (RuntimeException | Error e) {
                used.remove(name);
                throw e;
            }
        }
    }

    /** Where an instance's instance-store volumes live: {@code regions/R/instance-store/INSTANCE/}. */
    Path instanceStoreDir(String region, String instanceId) {
        return regionDir(region).resolve("instance-store").resolve(instanceId);
    }

    /** The directory that holds one region's state. */
    Path regionDir(String region) {
        return root.resolve("regions").resolve(Region.named(region).name());
    }

    /** The region's images and instances as last saved (empty if nothing was saved yet), a copy the caller may change. */
    RegionState load(String region) {
        firstUse(region);
        Parsed kept = parsedIfSaved(region);
        if (kept == null) {
            return read(regionDir(region).resolve("registry.json")); // never changed by this amiforge: nothing to keep
        }
        long before = kept.generation.read();
        Kept current = kept.state;
        if (current != null && current.generation == before && RegistryGeneration.stable(before)) {
            return current.state.copy();
        }
        RegionState state = read(regionDir(region).resolve("registry.json"));
        if (RegistryGeneration.stable(before) && kept.generation.read() == before) {
            kept.state = new Kept(before, state.copy()); // nobody wrote while it was read
        }
        return state;
    }

    private static RegionState read(Path file) {
        RegionState state = AtomicFiles.read(file, RegionState.class);
        if (state == null) {
            return RegionState.empty();
        }
        if (state.formatVersion() != RegionState.FORMAT_VERSION) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "UnsupportedStoreVersion", file + ": registry format version "
                    + state.formatVersion() + " is not supported (this amiforge reads version " + RegionState.FORMAT_VERSION + ")");
        }
        return state;
    }

    /** As {@link #parsed}, but null (and nothing created) if no change was ever saved: a read leaves no trace. */
    private Parsed parsedIfSaved(String region) {
        Parsed kept = parsed.get(Region.named(region).name());
        if (kept != null || !Files.exists(regionDir(region).resolve("registry.seq"))) {
            return kept;
        }
        return parsed(region);
    }

    /** The region's generation counter and kept state, mapping {@code registry.seq} on first use. */
    private Parsed parsed(String region) {
        return parsed.computeIfAbsent(Region.named(region).name(), name -> {
            Path dir = regionDir(name);
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": " + e.getMessage(), e);
            }
            return new Parsed(RegistryGeneration.open(dir.resolve("registry.seq"), fileOps));
        });
    }

    /**
     * Read-modify-write of a region's registry: under the registry lock (waiting for another
     * process's change to finish), reads it, applies {@code change} and saves it. Keep
     * {@code change} short: it holds every other process's registry change up. If
     * {@code change} throws, nothing is saved.
     */
    <T> T mutate(String region, Function<RegionState, T> change) {
        firstUse(region);
        Parsed kept = parsed(region);
        Path dir = regionDir(region);
        try (StoreLock _ = StoreLock.acquire(dir.resolve("registry.lock"), "registry of region " + region)) {
            RegionState state = load(region);
            T result = change.apply(state);
            kept.state = null;
            kept.generation.beginWrite();
            try {
                AtomicFiles.write(dir.resolve("registry.json"), state, fileOps);
            } finally {
                kept.generation.endWrite();
            }
            kept.state = new Kept(kept.generation.read(), state.copy()); // the lock is held: nobody else wrote
            return result;
        }
    }

    /** A region's generation counter and the state last parsed, with the generation it was parsed at. */
    private static final class Parsed {
        final RegistryGeneration generation;
        volatile Kept state;

        Parsed(RegistryGeneration generation) {
            this.generation = generation;
        }
    }

    private record Kept(long generation, RegionState state) {
    }
}
