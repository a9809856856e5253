package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;
import io.amiforge.x86.cpu.StopReason;

/**
 * INT 18h (boot failure: prints {@code No bootable device.} on the screen and stops the run as
 * {@code failed}) and INT 19h (bootstrap: loads LBA 0 of drive 0x80 to 0000:7C00 again and
 * enters it with DL=80h, at most {@link #MAX_BOOTSTRAPS} times, then stops as {@code failed}).
 */
final class Bootstrap {

    static final int MAX_BOOTSTRAPS = 3;
    static final int BOOT_SECTOR = 0x7C00;

    private final Memory mem;
    private final Int13Disk disk;
    private final VgaText screen;
    private int bootstraps;

    Bootstrap(Memory mem, Int13Disk disk, VgaText screen) {
        this.mem = mem;
        this.disk = disk;
        this.screen = screen;
    }

    void bootFailure(Cpu c) {
        screen.print("No bootable device.\n");
        c.stop(StopReason.FAILED, "the guest called INT 18h (boot failure: no bootable device)");
    }

    void bootstrap(Cpu c) {
        if (++bootstraps > MAX_BOOTSTRAPS) {
            c.stop(StopReason.FAILED, "the guest called INT 19h (bootstrap) more than " + MAX_BOOTSTRAPS + " times");
        }
        if (disk.read(c, 0, 1, BOOT_SECTOR, "0000:7C00") != 1 || mem.read16(BOOT_SECTOR + 510) != 0xAA55) {
            screen.print("No bootable device.\n");
            c.stop(StopReason.FAILED, "INT 19h: LBA 0 has no boot signature");
        }
        // replace the return frame so the stub's IRET enters the boot sector
        int sp = c.reg16(Cpu.ESP), ss = c.seg(Cpu.SS) << 4;
        mem.write16(ss + sp, BOOT_SECTOR);
        mem.write16(ss + ((sp + 2) & 0xFFFF), 0);
        c.setReg8(2, Int13Disk.DRIVE);
    }
}
