/** Moves images into and out of the snapshot store: a qcow2 backing chain becomes a snapshot per layer. */
module io.amiforge.transfer {
    requires transitive io.amiforge.imagefmt;
    requires transitive io.amiforge.store;

    exports io.amiforge.transfer;
}
