package io.amiforge.x86.cpu;

/**
 * The run loop's hook for a basic-block translator: given the decoded instructions at a hot
 * entry address, returns the class file of a class that executes a prefix of them, or null
 * when the first one is not translatable. Found with {@link java.util.ServiceLoader}, so this
 * package does not depend on the translator's.
 *
 * <p>The class file's contract (the CPU defines it as a hidden class in this package, so it
 * may use the package's internals by name): its binary name is {@link DecodedBlock#CLASS_NAME},
 * it extends {@code io.amiforge.x86.cpu.CompiledBlock} with a no-argument constructor, and its
 * {@code void run(Exec x, Blocks b)} executes the block on {@code x} exactly as the interpreter
 * would, leaving {@code x.ip}, {@code x.icount}, the registers, the lazy flags and memory as
 * after the instructions it ran. It may stop before any instruction (the interpreter then
 * runs that one), must reach memory only through {@code Bus} with {@code x.cinf} set to the
 * instruction's info word, must leave after a guest write that changed {@code b.epoch} (code
 * was overwritten), and must not run past {@code x.limit}.
 */
public interface BlockTranslator {

    /** Translates a prefix of {@code code}; null when not even its first instruction is translatable. */
    Translation translate(DecodedBlock code);

    /** A translated prefix: the class file, and how many instructions and bytes of the block it covers. */
    record Translation(byte[] classFile, int instructions, int bytes) {
        public Translation {
            if (classFile == null || instructions < 1 || bytes < 1) {
                throw new IllegalArgumentException("empty translation: " + instructions + " instructions, " + bytes
                        + " bytes");
            }
        }
    }
}
