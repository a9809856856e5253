/** The embedding example: amiforge used as a library, on the module path like any embedder. */
module io.amiforge.examples.embedding {
    requires transitive io.amiforge.transfer; // Outcome names SnapshotInfo
    requires transitive io.amiforge.boot;     // and BootReport

    exports io.amiforge.examples.embedding;
}
