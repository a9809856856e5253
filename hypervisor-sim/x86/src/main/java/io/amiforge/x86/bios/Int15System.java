package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;

/**
 * INT 15h, the system services a boot loader needs: the memory map (E820h), memory sizes
 * (E801h, 88h), the block move into extended memory (87h), the A20 gate (2400h-2403h), wait
 * (86h, returns at once), the system configuration table (C0h). Anything else answers CF=1,
 * AH=86h (unsupported), as real BIOSes do. A block move costs {@link RunBudget#SECTOR_COST}
 * per 512 bytes, or part.
 */
final class Int15System {

    private static final int SMAP = 0x534D4150;
    private static final int E820_ENTRY = 20;
    private static final int UNSUPPORTED = 0x86;
    private static final int MAX_MOVE_WORDS = 0x8000;

    private final Memory mem;
    private final RunBudget budget;
    private final MemoryMap map;
    private final byte[] moveBuffer = new byte[2 * MAX_MOVE_WORDS];

    Int15System(Memory mem, RunBudget budget) {
        this.mem = mem;
        this.budget = budget;
        this.map = MemoryMap.of(mem.size());
    }

    MemoryMap memoryMap() {
        return map;
    }

    void serve(Cpu c) {
        if (c.reg32(Cpu.EAX) == 0xE820) {
            e820(c);
            return;
        }
        int ax = c.reg16(Cpu.EAX);
        switch (ax >>> 8) {
            case 0x24 -> a20(c, ax & 0xFF);
            case 0x86 -> ok(c);
            case 0x87 -> blockMove(c);
            case 0x88 -> {
                c.setReg16(Cpu.EAX, (int) Math.min(extendedKb(), 0xFFFF));
                c.setFlag(Cpu.CF, false);
            }
            case 0xC0 -> {
                c.setSeg(Cpu.ES, Cpu.BIOS_SEGMENT);
                c.setReg16(Cpu.EBX, PowerOnSelfTest.CONFIG_TABLE);
                ok(c);
            }
            case 0xE8 -> {
                if ((ax & 0xFF) == 0x01) {
                    e801(c);
                } else {
                    unsupported(c);
                }
            }
            default -> unsupported(c);
        }
    }

    private long extendedKb() {
        return Math.max(0, (mem.size() - 0x100000) / 1024);
    }

    private static void ok(Cpu c) {
        c.setReg8(4, 0);
        c.setFlag(Cpu.CF, false);
    }

    private static void unsupported(Cpu c) {
        c.setReg8(4, UNSUPPORTED);
        c.setFlag(Cpu.CF, true);
    }

    // AX=2400h disable, 2401h enable, 2402h status in AL, 2403h support (keyboard controller and port 92h)
    private void a20(Cpu c, int al) {
        switch (al) {
            case 0 -> c.setA20(false);
            case 1 -> c.setA20(true);
            case 2 -> c.setReg8(0, c.a20() ? 1 : 0);
            case 3 -> c.setReg16(Cpu.EBX, 0x0003);
            default -> {
                unsupported(c);
                return;
            }
        }
        ok(c);
    }

    // AX=E801h: AX=CX KiB between 1 and 16 MiB, BX=DX 64 KiB blocks above 16 MiB
    private void e801(Cpu c) {
        long below16 = Math.min(extendedKb(), 15 * 1024);
        long above16 = Math.max(0, (mem.size() - 16L * 1024 * 1024) / 65536);
        c.setReg16(Cpu.EAX, (int) below16);
        c.setReg16(Cpu.ECX, (int) below16);
        c.setReg16(Cpu.EBX, (int) Math.min(above16, 0xFFFF));
        c.setReg16(Cpu.EDX, (int) Math.min(above16, 0xFFFF));
        c.setFlag(Cpu.CF, false);
    }

    // EAX=E820h, EDX='SMAP', EBX continuation (entry index), ECX buffer size, ES:DI buffer
    private void e820(Cpu c) {
        int index = c.reg32(Cpu.EBX);
        int n = map.entries().size();
        if (c.reg32(Cpu.EDX) != SMAP || c.reg32(Cpu.ECX) < E820_ENTRY || index < 0 || index >= n) {
            unsupported(c);
            return;
        }
        MemoryMap.Entry e = map.entries().get(index);
        long buf = (c.seg(Cpu.ES) << 4) + (long) c.reg16(Cpu.EDI);
        mem.write32(buf, (int) e.base());
        mem.write32(buf + 4, (int) (e.base() >>> 32));
        mem.write32(buf + 8, (int) e.length());
        mem.write32(buf + 12, (int) (e.length() >>> 32));
        mem.write32(buf + 16, e.type());
        c.setReg32(Cpu.EAX, SMAP);
        c.setReg32(Cpu.ECX, E820_ENTRY);
        c.setReg32(Cpu.EBX, index + 1 < n ? index + 1 : 0);
        c.setFlag(Cpu.CF, false);
    }

    // AH=87h: CX words from the source to the target descriptor of the GDT at ES:SI (+10h, +18h)
    private void blockMove(Cpu c) {
        long gdt = (c.seg(Cpu.ES) << 4) + (long) c.reg16(Cpu.ESI);
        int words = c.reg16(Cpu.ECX);
        if (words > MAX_MOVE_WORDS) {
            c.setReg8(4, 0x01);
            c.setFlag(Cpu.CF, true);
            return;
        }
        int bytes = words * 2;
        budget.charge(c, (long) (bytes + DiskDrive.SECTOR - 1) / DiskDrive.SECTOR * RunBudget.SECTOR_COST);
        mem.read(descriptorBase(gdt + 0x10), moveBuffer, 0, bytes);
        mem.load(descriptorBase(gdt + 0x18), moveBuffer, 0, bytes);
        ok(c);
        c.setFlag(Cpu.ZF, true);
    }

    private long descriptorBase(long d) {
        return (mem.read16(d + 2) & 0xFFFFL) | ((long) mem.read8(d + 4) << 16) | ((long) mem.read8(d + 7) << 24);
    }
}
