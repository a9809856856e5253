/** The x86 machine: an 80386 CPU interpreter and BIOS services bound to a block device. */
@SuppressWarnings("module") // "x86" ends in digits: it is the architecture's name
module io.amiforge.x86 {
    requires transitive io.amiforge.blockdev;

    exports io.amiforge.x86.cpu;
    exports io.amiforge.x86.bios;

    uses io.amiforge.x86.cpu.BlockTranslator;
    provides io.amiforge.x86.cpu.BlockTranslator with io.amiforge.x86.jit.Translator;
}
