/** The NBD export example: a computed block device served by amiforge's NBD server. */
module io.amiforge.examples.nbdexport {
    requires io.amiforge.nbd;

    exports io.amiforge.examples.nbdexport;
}
