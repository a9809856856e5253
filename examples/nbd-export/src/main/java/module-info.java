/** The NBD export example: a computed block device served by amiforge's NBD server. */
module io.amiforge.examples.nbdexport {
    requires transitive io.amiforge.nbd; // the API hands out NbdServer and a BlockDevice

    exports io.amiforge.examples.nbdexport;
}
