package io.amiforge.x86.cpu;

/**
 * A translated basic block (the superclass of every class a {@link BlockTranslator} emits) with
 * the key it was translated under: physical address and code size tag, IP, and the span it
 * covers for invalidation.
 */
abstract class CompiledBlock {

    /** Physical address of the first byte | {@link CpuState#codeTag}. */
    int tag;
    int ip, phys, bytes, instructions;

    protected CompiledBlock() {
    }

    /** Runs the block on {@code x}: see {@link BlockTranslator} for what it must leave behind. */
    abstract void run(Exec x, Blocks b);
}
