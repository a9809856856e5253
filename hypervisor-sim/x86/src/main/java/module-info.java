/** The x86 machine: an 80386 CPU interpreter and BIOS services bound to a block device. */
module io.amiforge.x86 {
    requires transitive io.amiforge.blockdev;

    exports io.amiforge.x86.cpu;
    exports io.amiforge.x86.bios;
}
