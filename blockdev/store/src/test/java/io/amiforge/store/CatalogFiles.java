package io.amiforge.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** Test support: the catalog files of a closed store, read and rewritten behind the store's back. */
final class CatalogFiles {

    private CatalogFiles() {
    }

    /** The catalog a closed store holds: its base with its log replayed. */
    static Catalog read(Path dir) {
        Catalog catalog = Catalog.load(dir.resolve("catalog"));
        catalog.replayLog(CatalogLog.logPath(dir, catalog.logGeneration), Catalog.LogEnd.start(catalog.logGeneration),
                Set.of(), new HashSet<>());
        return catalog;
    }

    /**
     * Folds a closed store's log into its base (a new base naming an empty log generation) and
     * returns the catalog, so a test can edit the base file alone.
     */
    static Catalog fold(Path dir) throws IOException {
        Catalog catalog = read(dir);
        long old = catalog.logGeneration;
        catalog.logGeneration = old + 1;
        catalog.save(dir.resolve("catalog"));
        Files.deleteIfExists(CatalogLog.logPath(dir, old));
        return catalog;
    }
}
