package io.amiforge.x86.bios;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;
import io.amiforge.x86.cpu.StopReason;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

/** A BIOS, its CPU and a memory-backed disk for tests: services are called directly or run from code at 0000:7C00. */
final class Machine {

    static final int CODE = 0x7C00;

    final Memory mem = new Memory(4L << 20);
    final MemoryBlockDevice device;
    final Console console = new Console();
    final RunBudget budget;
    final Bios bios;
    final Cpu cpu;

    Machine(int sectors, long maxInstructions, String keys) {
        device = new MemoryBlockDevice("disk", sectors * 512L);
        for (int s = 0; s < sectors; s++) {
            byte[] b = new byte[512];
            java.util.Arrays.fill(b, (byte) s); // every byte of sector s is s (mod 256)
            device.write(s * 512L, MemorySegment.ofArray(b));
        }
        budget = new RunBudget(maxInstructions, Duration.ofHours(1));
        bios = new Bios(mem, new DiskDrive(device), new Keyboard(keys), console, budget);
        cpu = new Cpu(mem, bios);
        bios.install(cpu);
        cpu.setSeg(Cpu.SS, 0);
        cpu.setReg16(Cpu.ESP, CODE);
    }

    Machine(int sectors) {
        this(sectors, 1_000_000, "");
    }

    /** Calls the service of {@code vector} with the registers as they are. */
    void call(int vector) {
        bios.bios(vector, cpu);
    }

    boolean carry() {
        return (cpu.flags() & Cpu.CF) != 0;
    }

    /** Runs {@code code} (bytes, as ints for brevity) at 0000:7C00 until it stops or the whole budget is spent. */
    StopReason run(int... code) {
        byte[] bytes = new byte[code.length];
        for (int i = 0; i < code.length; i++) {
            bytes[i] = (byte) code[i];
        }
        mem.load(CODE, bytes, 0, bytes.length);
        cpu.setSeg(Cpu.CS, 0);
        cpu.setIp(CODE);
        StopReason why = StopReason.BUDGET;
        long slice;
        while ((slice = budget.nextSlice(cpu.instructions())) > 0 && (why = cpu.run(slice)) == StopReason.BUDGET) {
            // slice after slice, as the HVM boot runs them
        }
        return why;
    }
}
