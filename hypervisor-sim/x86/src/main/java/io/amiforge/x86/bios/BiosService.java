package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;

/** One BIOS interrupt service, as {@link Bios} binds it to a vector: reads and sets the CPU's registers. */
@FunctionalInterface
interface BiosService {

    /** Serves the interrupt the guest raised; may end the run with {@link Cpu#stop}. */
    void serve(Cpu cpu);
}
