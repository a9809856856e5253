package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.StoreLock;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    RegionRegistry(Path root, FileOps fileOps) {
        this.root = root;
        this.fileOps = fileOps;
    }

    /** The directory that holds one region's state. */
    Path regionDir(String region) {
        return root.resolve("regions").resolve(Region.named(region).name());
    }

    /** The region's images and instances as last saved (empty if nothing was saved yet). */
    RegionState load(String region) {
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
