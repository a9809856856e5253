package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.CpuHost;
import io.amiforge.x86.cpu.Memory;
import io.amiforge.x86.cpu.StopReason;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The PC BIOS: {@link #install(Cpu)} lays out the IVT, BIOS data area, EBDA and ROM tables as a
 * BIOS leaves them after POST; then, as the CPU's {@link CpuHost}, it serves the interrupt
 * services and I/O ports. Text the guest prints through INT 10h or COM1 goes to the
 * {@link Console}; every disk read is recorded. Services a BIOS would not offer return
 * CF=1/AH=86h (INT 15h) or AH=01h (INT 13h) as real BIOSes do; a fault that reaches the BIOS
 * (divide error, invalid opcode, general protection) stops the machine with a named reason.
 */
public final class Bios implements CpuHost {

    /** Segment of the extended BIOS data area (1 KiB below 640 KiB). */
    public static final int EBDA_SEGMENT = 0x9FC0;
    /** Conventional memory reported by INT 12h, in KiB. */
    public static final int BASE_MEMORY_KB = 639;
    private static final int CONFIG_TABLE = 0xE6F5;
    private static final int DISKETTE_TABLE = 0xEFC7;
    private static final int MAX_DISK_READS = 10_000;
    private static final int MAX_POST_CODES = 4096;
    private static final int SMAP = 0x534D4150;

    private final Memory mem;
    private final DiskDrive disk;
    private final Keyboard keyboard;
    private final Console console;
    private final List<DiskRead> diskReads = new ArrayList<>();
    private long diskReadCount;
    private final List<Integer> postCodes = new ArrayList<>();
    private final byte[] sector = new byte[DiskDrive.SECTOR];
    private final byte[] moveBuffer = new byte[0x10000];
    private Consumer<DiskRead> diskReadListener = r -> { };
    private int lastStatus;
    private int comLcr, kbcCommand, portB, picMask1, picMask2, cmosIndex;
    private int emptyPolls;
    private int bootstraps;
    private long unhandledInterrupts;
    private Cpu cpu;

    public Bios(Memory mem, DiskDrive disk, Keyboard keyboard, Console console) {
        this.mem = mem;
        this.disk = disk;
        this.keyboard = keyboard;
        this.console = console;
    }

    /** Called with every disk read the guest makes. */
    public void onDiskRead(Consumer<DiskRead> listener) {
        this.diskReadListener = listener;
    }

    public Console console() {
        return console;
    }

    public List<DiskRead> diskReads() {
        return diskReads;
    }

    /** All disk reads, including those beyond the recorded list's bound. */
    public long diskReadCount() {
        return diskReadCount;
    }

    public List<Integer> postCodes() {
        return postCodes;
    }

    public long unhandledInterrupts() {
        return unhandledInterrupts;
    }

    public DiskDrive disk() {
        return disk;
    }

    // =====================================================================================
    // POST
    // =====================================================================================

    /** Sets up IVT, BDA, EBDA and ROM as a BIOS leaves them, and binds to {@code cpu}. */
    public void install(Cpu cpu) {
        this.cpu = cpu;
        for (int v = 0; v < 256; v++) {
            mem.write16(v * 4L, Cpu.BIOS_TRAP_OFFSET + v);
            mem.write16(v * 4L + 2, Cpu.BIOS_SEGMENT);
            mem.write8(Cpu.BIOS_TRAP_BASE + v, 0xCF); // IRET, should anyone read the stub
        }
        // data-pointer vectors
        mem.write16(0x1E * 4L, DISKETTE_TABLE);
        mem.write16(0x1D * 4L, 0xF0A4);
        mem.write16(0x1F * 4L, 0);
        mem.write16(0x1F * 4L + 2, 0);
        // INT 41h: fixed-disk parameter table of disk 0x80, kept in the EBDA at offset 0x3D
        mem.write16(0x41 * 4L, 0x3D);
        mem.write16(0x41 * 4L + 2, EBDA_SEGMENT);
        long fdpt = EBDA_SEGMENT * 16L + 0x3D;
        mem.write16(fdpt, disk.cylinders());
        mem.write8(fdpt + 2, disk.heads());
        mem.write16(fdpt + 12, disk.cylinders());
        mem.write8(fdpt + 14, disk.sectorsPerTrack());
        int[] diskette = {0xAF, 0x02, 0x25, 0x02, 0x12, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08};
        for (int i = 0; i < diskette.length; i++) {
            mem.write8(0xF0000L + DISKETTE_TABLE + i, diskette[i]);
        }
        // system configuration table (INT 15h C0h)
        int[] config = {0x08, 0x00, 0xFC, 0x00, 0x01, 0x74, 0x40, 0x00, 0x00, 0x00};
        for (int i = 0; i < config.length; i++) {
            mem.write8(0xF0000L + CONFIG_TABLE + i, config[i]);
        }
        byte[] date = "01/01/20".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        mem.load(0xFFFF5, date, 0, date.length);
        mem.write8(0xFFFFE, 0xFC);
        mem.write8(0xFFFF0, 0xEA); // JMP FAR F000:E05B (the reset vector traps before it runs)
        // BIOS data area
        mem.write16(0x400, 0x3F8);
        mem.write16(0x40E, EBDA_SEGMENT);
        mem.write16(0x410, 0x0220); // 80x25 colour, one serial port
        mem.write16(0x413, BASE_MEMORY_KB);
        mem.write16(0x41A, 0x1E);
        mem.write16(0x41C, 0x1E);
        mem.write16(0x480, 0x1E);
        mem.write16(0x482, 0x3E);
        mem.write8(0x449, 3);
        mem.write16(0x44A, 80);
        mem.write16(0x44C, 4000);
        mem.write16(0x460, 0x0607);
        mem.write16(0x463, 0x3D4);
        mem.write8(0x475, 1);
        mem.write8(0x484, 24);
        mem.write16(0x485, 16);
        mem.write8(0x487, 0x60);
        mem.write8(0x488, 0x09);
        mem.write8(0x489, 0x11);
        // EBDA: its first byte is its size in KiB
        mem.write16(EBDA_SEGMENT * 16L, 1);
    }

    /** Advances the BIOS tick count (0040:006C) to match {@code ticks}. */
    public void setTicks(long ticks) {
        mem.write32(0x46C, (int) (ticks % 0x1800B0L));
    }

    long ticks(Cpu c) {
        return c.instructions() / 1_000_000L;
    }

    // =====================================================================================
    // services
    // =====================================================================================

    @Override
    public void bios(int vector, Cpu c) {
        switch (vector) {
            case 0x00 -> fault(c, "divide error");
            case 0x06 -> fault(c, "invalid opcode");
            case 0x0D -> fault(c, "general protection fault (a 32-bit offset beyond 64 KiB in real mode)");
            case 0x0C -> fault(c, "stack fault");
            case 0x10 -> video(c);
            case 0x11 -> c.setReg16(Cpu.EAX, mem.read16(0x410));
            case 0x12 -> c.setReg16(Cpu.EAX, mem.read16(0x413));
            case 0x13 -> disk(c);
            case 0x14 -> serial(c);
            case 0x15 -> system(c);
            case 0x16 -> keyboard(c);
            case 0x17 -> c.setReg8(4, 0x30);
            case 0x18 -> {
                console.print("No bootable device.\n");
                c.stop(StopReason.FAILED, "the guest called INT 18h (boot failure: no bootable device)");
            }
            case 0x19 -> bootstrap(c);
            case 0x1A -> clock(c);
            case Cpu.RESET_VECTOR -> c.stop(StopReason.FAILED, "the guest jumped to the reset vector (reboot)");
            default -> {
                if (vector >= 0x20 && vector != 0x1C && (vector < 0x70 || vector > 0x77)) {
                    unhandledInterrupts++;
                }
            }
        }
    }

    private void fault(Cpu c, String what) {
        if (c.faultVector() < 0) {
            c.stop(StopReason.FAILED, what + " (software interrupt; returns to " + hex(c.seg(Cpu.CS)) + ":"
                    + hex(c.ip()) + ")");
        }
        StringBuilder bytes = new StringBuilder();
        for (byte b : c.faultBytes()) {
            bytes.append(bytes.isEmpty() ? "" : " ").append("%02X".formatted(b & 0xFF));
        }
        c.stop(StopReason.FAILED, what + " at " + hex(c.faultCs()) + ":" + hex(c.faultIp()) + " (bytes " + bytes
                + "); no handler installed");
    }

    private void bootstrap(Cpu c) {
        if (++bootstraps > 3) {
            c.stop(StopReason.FAILED, "the guest called INT 19h (bootstrap) more than 3 times");
        }
        if (!disk.read(0, sector) || (sector[510] & 0xFF) != 0x55 || (sector[511] & 0xFF) != 0xAA) {
            console.print("No bootable device.\n");
            c.stop(StopReason.FAILED, "INT 19h: LBA 0 has no boot signature");
        }
        recordRead(0, 1, "0000:7C00");
        mem.load(0x7C00, sector, 0, 512);
        // replace the return frame so the stub's IRET enters the boot sector
        int sp = c.reg16(Cpu.ESP), ss = c.seg(Cpu.SS) << 4;
        mem.write16(ss + sp, 0x7C00);
        mem.write16(ss + ((sp + 2) & 0xFFFF), 0);
        c.setReg8(2, 0x80);
    }

    private void video(Cpu c) {
        int ah = c.reg8(4), al = c.reg8(0);
        switch (ah) {
            case 0x00 -> {
                mem.write8(0x449, al & 0x7F);
                mem.write16(0x450, 0);
            }
            case 0x01 -> mem.write16(0x460, c.reg16(Cpu.ECX));
            case 0x02 -> mem.write16(0x450 + 2L * (c.reg8(7) & 7), c.reg16(Cpu.EDX));
            case 0x03 -> {
                c.setReg16(Cpu.EDX, mem.read16(0x450 + 2L * (c.reg8(7) & 7)));
                c.setReg16(Cpu.ECX, mem.read16(0x460));
            }
            case 0x05 -> mem.write8(0x462, al);
            case 0x08 -> c.setReg16(Cpu.EAX, 0x0720);
            case 0x09, 0x0A -> {
                int n = Math.min(c.reg16(Cpu.ECX), 2000);
                for (int i = 0; i < n; i++) {
                    console.put(al);
                }
            }
            case 0x0E -> {
                console.put(al);
                advanceCursor(al);
            }
            case 0x0F -> {
                c.setReg8(0, mem.read8(0x449));
                c.setReg8(4, 80);
                c.setReg8(7, mem.read8(0x462));
            }
            case 0x11 -> {
                if (al == 0x30) {
                    c.setReg16(Cpu.ECX, 16);
                    c.setReg8(2, 24);
                }
            }
            case 0x12 -> {
                if (c.reg8(3) == 0x10) {
                    c.setReg16(Cpu.EBX, 0x0003);
                    c.setReg16(Cpu.ECX, 0x0009);
                }
            }
            case 0x13 -> writeString(c);
            case 0x1A -> {
                if (al == 0) {
                    c.setReg8(0, 0x1A);
                    c.setReg16(Cpu.EBX, 0x0008);
                }
            }
            default -> { }
        }
    }

    private void advanceCursor(int ch) {
        int pos = mem.read16(0x450);
        int row = pos >>> 8, col = pos & 0xFF;
        if (ch == '\n') {
            row = Math.min(row + 1, 24);
        } else if (ch == '\r') {
            col = 0;
        } else if (ch == 8) {
            col = Math.max(0, col - 1);
        } else if (++col >= 80) {
            col = 0;
            row = Math.min(row + 1, 24);
        }
        mem.write16(0x450, row << 8 | col);
    }

    private void writeString(Cpu c) {
        int mode = c.reg8(0);
        int n = Math.min(c.reg16(Cpu.ECX), 4096);
        long at = (c.seg(Cpu.ES) << 4) + (long) c.reg16(Cpu.EBP);
        for (int i = 0; i < n; i++) {
            int ch = mem.read8(at);
            at += (mode & 2) != 0 ? 2 : 1;
            console.put(ch);
        }
    }

    private void serial(Cpu c) {
        if (c.reg8(4) == 1) {
            console.put(c.reg8(0));
            c.setReg8(4, 0x60);
        } else {
            c.setReg16(Cpu.EAX, 0x6000);
        }
    }

    // ---- INT 13h ----

    private void disk(Cpu c) {
        int ah = c.reg8(4), dl = c.reg8(2);
        if (dl != 0x80 && ah != 0x00) {
            diskResult(c, 0x01);
            return;
        }
        switch (ah) {
            case 0x00 -> diskResult(c, 0);
            case 0x01 -> {
                c.setReg8(4, lastStatus);
                c.setFlag(Cpu.CF, lastStatus != 0);
            }
            case 0x02, 0x03 -> chsTransfer(c, ah == 0x03);
            case 0x04 -> diskResult(c, 0);
            case 0x08 -> {
                int maxCyl = disk.cylinders() - 1;
                c.setReg8(5, maxCyl & 0xFF);
                c.setReg8(1, (disk.sectorsPerTrack() & 0x3F) | ((maxCyl >>> 2) & 0xC0));
                c.setReg8(6, disk.heads() - 1);
                c.setReg8(2, 1);
                c.setReg16(Cpu.EBX, 0);
                c.setSeg(Cpu.ES, 0);
                c.setReg16(Cpu.EDI, 0);
                diskResult(c, 0);
            }
            case 0x0C, 0x0D, 0x10, 0x11 -> diskResult(c, 0);
            case 0x15 -> {
                long n = disk.sectors();
                c.setReg16(Cpu.ECX, (int) (n >>> 16));
                c.setReg16(Cpu.EDX, (int) n);
                c.setReg8(4, 0x03);
                c.setFlag(Cpu.CF, false);
            }
            case 0x41 -> {
                if (c.reg16(Cpu.EBX) != 0x55AA) {
                    diskResult(c, 0x01);
                    return;
                }
                c.setReg16(Cpu.EBX, 0xAA55);
                c.setReg16(Cpu.ECX, 0x0001);
                c.setReg8(4, 0x30);
                lastStatus = 0;
                c.setFlag(Cpu.CF, false);
            }
            case 0x42, 0x43 -> extendedTransfer(c, ah == 0x43);
            case 0x48 -> driveParameters(c);
            default -> diskResult(c, 0x01);
        }
    }

    private void diskResult(Cpu c, int status) {
        lastStatus = status;
        mem.write8(0x474, status);
        c.setReg8(4, status);
        c.setFlag(Cpu.CF, status != 0);
    }

    private void chsTransfer(Cpu c, boolean write) {
        int count = c.reg8(0);
        int cl = c.reg8(1), ch = c.reg8(5), head = c.reg8(6);
        int cyl = ch | (cl & 0xC0) << 2, sec = cl & 0x3F;
        if (count == 0 || sec == 0 || sec > disk.sectorsPerTrack() || head >= disk.heads()) {
            c.setReg8(0, 0);
            diskResult(c, 0x01);
            return;
        }
        long lba = ((long) cyl * disk.heads() + head) * disk.sectorsPerTrack() + sec - 1;
        int es = c.seg(Cpu.ES), bx = c.reg16(Cpu.EBX);
        int done = transfer(lba, count, (es << 4) + bx, "%04X:%04X".formatted(es, bx), write);
        c.setReg8(0, done);
        diskResult(c, done == count ? 0 : write ? 0x03 : 0x04);
    }

    private void extendedTransfer(Cpu c, boolean write) {
        long pkt = (c.seg(Cpu.DS) << 4) + (long) c.reg16(Cpu.ESI);
        int size = mem.read8(pkt);
        int count = mem.read16(pkt + 2);
        int off = mem.read16(pkt + 4), seg = mem.read16(pkt + 6);
        long lba = (mem.read32(pkt + 8) & 0xFFFFFFFFL) | ((long) mem.read32(pkt + 12) << 32);
        if (size < 0x10 || count > 127 && !(size >= 0x18 && off == 0xFFFF && seg == 0xFFFF)) {
            mem.write16(pkt + 2, 0);
            diskResult(c, 0x01);
            return;
        }
        long dst;
        String where;
        if (size >= 0x18 && off == 0xFFFF && seg == 0xFFFF) {
            dst = mem.read32(pkt + 0x10) & 0xFFFFFFFFL;
            where = "%08X".formatted(dst);
        } else {
            dst = (seg << 4) + (long) off;
            where = "%04X:%04X".formatted(seg, off);
        }
        int done = transfer(lba, count, dst, where, write);
        mem.write16(pkt + 2, done);
        diskResult(c, done == count ? 0 : write ? 0x03 : 0x04);
    }

    private int transfer(long lba, int count, long dst, String where, boolean write) {
        int done = 0;
        if (!write) {
            recordRead(lba, count, where);
        }
        for (; done < count; done++) {
            long addr = dst + (long) done * DiskDrive.SECTOR;
            if (write) {
                mem.read(addr, sector, 0, DiskDrive.SECTOR);
                if (!disk.write(lba + done, sector)) {
                    break;
                }
            } else {
                if (!disk.read(lba + done, sector)) {
                    break;
                }
                mem.load(addr, sector, 0, DiskDrive.SECTOR);
            }
        }
        return done;
    }

    /** Records a disk read (the BIOS's own boot-sector load included). */
    public void recordRead(long lba, int count, String where) {
        diskReadCount++;
        DiskRead read = new DiskRead(lba, count, where);
        if (diskReads.size() < MAX_DISK_READS) {
            diskReads.add(read);
        }
        diskReadListener.accept(read);
    }

    private void driveParameters(Cpu c) {
        long buf = (c.seg(Cpu.DS) << 4) + (long) c.reg16(Cpu.ESI);
        int size = mem.read16(buf);
        if (size < 0x1A) {
            diskResult(c, 0x01);
            return;
        }
        mem.write16(buf, 0x1A);
        mem.write16(buf + 2, 0x0002);
        mem.write32(buf + 4, disk.cylinders());
        mem.write32(buf + 8, disk.heads());
        mem.write32(buf + 12, disk.sectorsPerTrack());
        mem.write32(buf + 16, (int) disk.sectors());
        mem.write32(buf + 20, (int) (disk.sectors() >>> 32));
        mem.write16(buf + 24, DiskDrive.SECTOR);
        diskResult(c, 0);
    }

    // ---- INT 15h ----

    private void system(Cpu c) {
        int ax = c.reg16(Cpu.EAX), ah = ax >>> 8;
        long extKb = Math.max(0, (mem.size() - 0x100000) / 1024);
        if (c.reg32(Cpu.EAX) == 0xE820) {
            e820(c);
            return;
        }
        switch (ah) {
            case 0x24 -> {
                switch (ax & 0xFF) {
                    case 0 -> c.setA20(false);
                    case 1 -> c.setA20(true);
                    case 2 -> c.setReg8(0, c.a20() ? 1 : 0);
                    case 3 -> c.setReg16(Cpu.EBX, 0x0003);
                    default -> {
                        unsupported15(c);
                        return;
                    }
                }
                c.setReg8(4, 0);
                c.setFlag(Cpu.CF, false);
            }
            case 0x86 -> {
                c.setReg8(4, 0);
                c.setFlag(Cpu.CF, false);
            }
            case 0x87 -> blockMove(c);
            case 0x88 -> {
                c.setReg16(Cpu.EAX, (int) Math.min(extKb, 0xFFFF));
                c.setFlag(Cpu.CF, false);
            }
            case 0xC0 -> {
                c.setSeg(Cpu.ES, 0xF000);
                c.setReg16(Cpu.EBX, CONFIG_TABLE);
                c.setReg8(4, 0);
                c.setFlag(Cpu.CF, false);
            }
            case 0xE8 -> {
                if ((ax & 0xFF) == 0x01) {
                    long below16 = Math.min(extKb, 15 * 1024);
                    long above16 = Math.max(0, (mem.size() - 16L * 1024 * 1024) / 65536);
                    c.setReg16(Cpu.EAX, (int) below16);
                    c.setReg16(Cpu.ECX, (int) below16);
                    c.setReg16(Cpu.EBX, (int) Math.min(above16, 0xFFFF));
                    c.setReg16(Cpu.EDX, (int) Math.min(above16, 0xFFFF));
                    c.setFlag(Cpu.CF, false);
                } else {
                    unsupported15(c);
                }
            }
            default -> unsupported15(c);
        }
    }

    private void unsupported15(Cpu c) {
        c.setReg8(4, 0x86);
        c.setFlag(Cpu.CF, true);
    }

    /** The E820 map this BIOS reports: {base, length, type}. */
    public long[][] e820Map() {
        return new long[][] {
            {0, BASE_MEMORY_KB * 1024L, 1},
            {BASE_MEMORY_KB * 1024L, 0xA0000 - BASE_MEMORY_KB * 1024L, 2},
            {0xF0000, 0x10000, 2},
            {0x100000, mem.size() - 0x100000, 1},
        };
    }

    private void e820(Cpu c) {
        long[][] map = e820Map();
        int idx = c.reg32(Cpu.EBX);
        if (c.reg32(Cpu.EDX) != SMAP || c.reg32(Cpu.ECX) < 20 || idx < 0 || idx >= map.length) {
            unsupported15(c);
            return;
        }
        long buf = (c.seg(Cpu.ES) << 4) + (long) c.reg16(Cpu.EDI);
        mem.write32(buf, (int) map[idx][0]);
        mem.write32(buf + 4, (int) (map[idx][0] >>> 32));
        mem.write32(buf + 8, (int) map[idx][1]);
        mem.write32(buf + 12, (int) (map[idx][1] >>> 32));
        mem.write32(buf + 16, (int) map[idx][2]);
        c.setReg32(Cpu.EAX, SMAP);
        c.setReg32(Cpu.ECX, 20);
        c.setReg32(Cpu.EBX, idx + 1 < map.length ? idx + 1 : 0);
        c.setFlag(Cpu.CF, false);
    }

    private void blockMove(Cpu c) {
        long gdt = (c.seg(Cpu.ES) << 4) + (long) c.reg16(Cpu.ESI);
        int words = c.reg16(Cpu.ECX);
        if (words > 0x8000) {
            c.setReg8(4, 0x01);
            c.setFlag(Cpu.CF, true);
            return;
        }
        long src = descriptorBase(gdt + 0x10), dst = descriptorBase(gdt + 0x18);
        int n = words * 2;
        mem.read(src, moveBuffer, 0, n);
        mem.load(dst, moveBuffer, 0, n);
        c.setReg8(4, 0);
        c.setFlag(Cpu.CF, false);
        c.setFlag(Cpu.ZF, true);
    }

    private long descriptorBase(long d) {
        return (mem.read16(d + 2) & 0xFFFFL) | ((long) mem.read8(d + 4) << 16) | ((long) mem.read8(d + 7) << 24);
    }

    // ---- INT 16h ----

    private void keyboard(Cpu c) {
        int ah = c.reg8(4);
        switch (ah) {
            case 0x00, 0x10 -> {
                if (!keyboard.hasKey()) {
                    c.stop(StopReason.HALTED, "waiting for a keystroke (INT 16h) and the keyboard script is empty");
                }
                c.setReg16(Cpu.EAX, keyboard.take());
                emptyPolls = 0;
            }
            case 0x01, 0x11 -> {
                if (keyboard.hasKey()) {
                    c.setReg16(Cpu.EAX, keyboard.peek());
                    c.setFlag(Cpu.ZF, false);
                    emptyPolls = 0;
                } else {
                    c.setFlag(Cpu.ZF, true);
                    if (++emptyPolls > 1_000_000) {
                        c.stop(StopReason.HALTED, "polling the keyboard (INT 16h) with the keyboard script empty");
                    }
                }
            }
            case 0x02, 0x12 -> c.setReg8(0, 0);
            case 0x05 -> {
                keyboard.push(c.reg16(Cpu.ECX));
                c.setReg8(0, 0);
            }
            default -> { }
        }
    }

    // ---- INT 1Ah ----

    private void clock(Cpu c) {
        int ah = c.reg8(4);
        long t = ticks(c);
        switch (ah) {
            case 0x00 -> {
                c.setReg16(Cpu.ECX, (int) ((t % 0x1800B0L) >>> 16));
                c.setReg16(Cpu.EDX, (int) (t % 0x1800B0L));
                c.setReg8(0, 0);
            }
            case 0x02 -> {
                long secs = t * 10 / 182;
                c.setReg8(5, bcd((int) (secs / 3600 % 24)));
                c.setReg8(1, bcd((int) (secs / 60 % 60)));
                c.setReg8(6, bcd((int) (secs % 60)));
                c.setReg8(2, 0);
                c.setFlag(Cpu.CF, false);
            }
            case 0x04 -> {
                c.setReg16(Cpu.ECX, 0x2020);
                c.setReg16(Cpu.EDX, 0x0101);
                c.setFlag(Cpu.CF, false);
            }
            case 0x01, 0x03, 0x05 -> c.setFlag(Cpu.CF, false);
            default -> c.setFlag(Cpu.CF, true);
        }
    }

    private static int bcd(int v) {
        return (v / 10) << 4 | (v % 10);
    }

    // =====================================================================================
    // ports
    // =====================================================================================

    @Override
    public int in(int port, int size) {
        int v = switch (port) {
            case 0x3F8 -> 0;
            case 0x3FB -> comLcr;
            case 0x3FD -> 0x60;
            case 0x3FE -> 0xB0;
            case 0x92 -> cpu != null && cpu.a20() ? 0x02 : 0x00;
            case 0x64 -> 0x1C;
            case 0x60 -> 0;
            case 0x61 -> {
                portB ^= 0x10;
                yield portB;
            }
            case 0x21 -> picMask1;
            case 0xA1 -> picMask2;
            case 0x71 -> cmos(cmosIndex);
            case 0x3DA -> (int) ((cpu == null ? 0 : cpu.instructions()) & 0x09);
            case 0x40 -> (int) (-(cpu == null ? 0 : cpu.instructions())) & 0xFF;
            default -> 0xFFFFFFFF;
        };
        return size == 1 ? v & 0xFF : size == 2 ? v & 0xFFFF : v;
    }

    private int cmos(int index) {
        return switch (index & 0x7F) {
            case 0x0A -> 0x26;
            case 0x0B -> 0x02;
            case 0x0D -> 0x80;
            case 0x10 -> 0x00;
            case 0x32 -> 0x20;
            default -> 0;
        };
    }

    @Override
    public void out(int port, int size, int value) {
        switch (port) {
            case 0x3F8 -> {
                if ((comLcr & 0x80) == 0) {
                    console.put(value);
                }
            }
            case 0x3FB -> comLcr = value & 0xFF;
            case 0x80 -> {
                if (postCodes.size() < MAX_POST_CODES) {
                    postCodes.add(value & 0xFF);
                }
            }
            case 0x92 -> {
                cpu.setA20((value & 2) != 0);
                if ((value & 1) != 0) {
                    cpu.stop(StopReason.FAILED, "the guest reset the machine through port 92h");
                }
            }
            case 0x64 -> {
                kbcCommand = value & 0xFF;
                if (kbcCommand == 0xFE) {
                    cpu.stop(StopReason.FAILED, "the guest reset the machine through the keyboard controller");
                } else if (kbcCommand == 0xDD || kbcCommand == 0xDF) {
                    cpu.setA20(kbcCommand == 0xDF);
                }
            }
            case 0x60 -> {
                if (kbcCommand == 0xD1) {
                    cpu.setA20((value & 2) != 0);
                }
                kbcCommand = 0;
            }
            case 0x21 -> picMask1 = value & 0xFF;
            case 0xA1 -> picMask2 = value & 0xFF;
            case 0x70 -> cmosIndex = value & 0xFF;
            default -> { }
        }
    }

    private static String hex(int v) {
        return "%04X".formatted(v & 0xFFFF);
    }
}
