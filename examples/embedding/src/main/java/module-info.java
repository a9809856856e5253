/** The embedding example: amiforge used as a library, on the module path like any embedder. */
module io.amiforge.examples.embedding {
    requires io.amiforge.transfer;
    requires io.amiforge.boot;

    exports io.amiforge.examples.embedding;
}
