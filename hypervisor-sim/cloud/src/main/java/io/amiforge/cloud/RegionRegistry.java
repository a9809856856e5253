package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.StoreLock;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The cloud's persistent state per region: {@code ROOT/regions/NAME/registry.json} (images and
 * instances, one {@link RegionState} document) and its lock {@code registry.lock}. A change is a
 * read-modify-write under the lock, saved atomically ({@link AtomicFiles}), so several processes
 * may change one region at once and a crash leaves the old document or the new one.
 */
final class RegionRegistry {

    private final Path root;
    private final FileOps fileOps;
    private final Set<String> used = ConcurrentHashMap.newKeySet();
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

    /** The region's images and instances as last saved (empty if nothing was saved yet). */
    RegionState load(String region) {
        firstUse(region);
        Path file = regionDir(region).resolve("registry.json");
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

    /**
     * Read-modify-write of a region's registry: under the registry lock (waiting for another
     * process's change to finish), reads it, applies {@code change} and saves it. Keep
     * {@code change} short: it holds every other process's registry change up. If
     * {@code change} throws, nothing is saved.
     */
    <T> T mutate(String region, Function<RegionState, T> change) {
        firstUse(region);
        Path dir = regionDir(region);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": " + e.getMessage(), e);
        }
        try (StoreLock _ = StoreLock.acquire(dir.resolve("registry.lock"), "registry of region " + region)) {
            RegionState state = load(region);
            T result = change.apply(state);
            AtomicFiles.write(dir.resolve("registry.json"), state, fileOps);
            return result;
        }
    }
}
