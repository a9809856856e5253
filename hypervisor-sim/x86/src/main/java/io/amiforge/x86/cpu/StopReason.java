package io.amiforge.x86.cpu;

/** Why {@link Cpu#run(long)} returned. */
public enum StopReason {
    /** The instruction budget ran out. */
    BUDGET,
    /** HLT (the detail says whether interrupts were enabled). */
    HALTED,
    /** The guest set CR0.PE (a switch to protected mode is reported, not executed). */
    PROTECTED_MODE,
    /** The guest handed control to a Linux kernel's setup code. */
    KERNEL_HANDOFF,
    /** The guest hit a fault nobody handles, or the machine gave up for a named reason. */
    FAILED
}
