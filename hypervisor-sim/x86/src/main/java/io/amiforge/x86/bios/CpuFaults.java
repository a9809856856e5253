package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;

/**
 * The exception vectors whose IVT entries still point at the BIOS (divide error, invalid
 * opcode, stack fault, general protection) and the reset vector: the guest installed no
 * handler, so the run stops as {@code failed}, naming the fault, CS:IP and the instruction's
 * bytes (or, for a software INT to such a vector, where it returns to).
 */
final class CpuFaults {

    private CpuFaults() {
    }

    static void fault(Cpu c, String what) {
        if (c.faultVector() < 0) {
            // CS:IP is the BIOS stub; the INT's return address is the frame on the stack
            long frame = (c.seg(Cpu.SS) << 4) + (long) c.reg16(Cpu.ESP);
            c.stop(StopReason.FAILED, what + " (software interrupt; returns to " + hex(c.memory().read16(frame + 2))
                    + ":" + hex(c.memory().read16(frame)) + ")");
        }
        StringBuilder bytes = new StringBuilder();
        for (byte b : c.faultBytes()) {
            bytes.append(bytes.isEmpty() ? "" : " ").append("%02X".formatted(b & 0xFF));
        }
        c.stop(StopReason.FAILED, what + " at " + hex(c.faultCs()) + ":" + hex(c.faultIp()) + " (bytes " + bytes
                + "); no handler installed");
    }

    static void reset(Cpu c) {
        c.stop(StopReason.FAILED, "the guest jumped to the reset vector (reboot)");
    }

    private static String hex(int v) {
        return "%04X".formatted(v & 0xFFFF);
    }
}
