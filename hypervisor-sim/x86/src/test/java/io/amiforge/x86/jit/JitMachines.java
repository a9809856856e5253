package io.amiforge.x86.jit;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.CpuHost;
import io.amiforge.x86.cpu.Memory;

/** Bare real-mode machines for the translator tests: RAM only, no BIOS, ports read 0xFF. */
final class JitMachines {

    private JitMachines() {
    }

    /** A CPU over fresh memory holding {@code code} at 0000:{@code ip}, translating after {@code threshold} executions (0: off). */
    static Cpu machine(byte[] code, int ip, int threshold) {
        Memory mem = new Memory(Memory.LOW_LIMIT);
        mem.load(ip, code, 0, code.length);
        Cpu c = new Cpu(mem, CpuHost.NONE);
        c.setBiosTraps(false);
        c.setTranslation(threshold);
        c.setIp(ip);
        return c;
    }

    /** Registers, segments, IP, EFLAGS, instruction count and a fault as text, for comparing two CPUs. */
    static String state(Cpu c) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            b.append(String.format("r%d=%08x ", i, c.reg32(i)));
        }
        for (int i = 0; i < 6; i++) {
            b.append(String.format("s%d=%04x ", i, c.seg(i)));
        }
        return b.append(String.format("ip=%08x flags=%08x n=%d fault=%d", c.ip(), c.flags(), c.instructions(),
                c.faultVector())).toString();
    }
}
