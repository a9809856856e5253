package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * INT 13h, the fixed-disk service of drive 0x80: reset, status, CHS read/write/verify,
 * parameters, disk type, the EDD 3.0 extensions (check, extended read/write, drive
 * parameters). Other drives and functions answer CF=1, AH=01h; a transfer past the end stops
 * at the last sector there is, with AH=04h (read) or 03h (write) and the count done. Writes go
 * to the {@link DiskDrive}'s overlay. The disk is read synchronously, sector by sector, and
 * every sector is charged to the {@link RunBudget} before it moves. State lives in
 * {@link Int13State}; the last status is mirrored at 0040:0074.
 */
final class Int13Disk {

    static final int DRIVE = 0x80;
    private static final int OK = 0x00, BAD_COMMAND = 0x01, WRITE_FAULT = 0x03, NOT_FOUND = 0x04;
    private static final int EDD_SIGNATURE = 0x55AA;
    private static final int FLAT_ADDRESS = 0xFFFF;

    private final Memory mem;
    private final DiskDrive drive;
    private final BiosDataArea bda;
    private final Int13State state;
    private final RunBudget budget;
    private final byte[] sector = new byte[DiskDrive.SECTOR];
    private final MemorySegment sectorSegment = MemorySegment.ofArray(sector);
    private Consumer<DiskRead> listener = r -> { };

    Int13Disk(Memory mem, DiskDrive drive, BiosDataArea bda, Int13State state, RunBudget budget) {
        this.mem = mem;
        this.drive = drive;
        this.bda = bda;
        this.state = state;
        this.budget = budget;
    }

    void onRead(Consumer<DiskRead> l) {
        this.listener = l;
    }

    void serve(Cpu c) {
        int ah = c.reg8(4);
        if (c.reg8(2) != DRIVE && ah != 0x00) {
            result(c, BAD_COMMAND);
            return;
        }
        switch (ah) {
            case 0x00, 0x04, 0x0C, 0x0D, 0x10, 0x11 -> result(c, OK); // reset, verify, seek, ready, recalibrate
            case 0x01 -> {
                c.setReg8(4, state.lastStatus());
                c.setFlag(Cpu.CF, state.lastStatus() != 0);
            }
            case 0x02, 0x03 -> chsTransfer(c, ah == 0x03);
            case 0x08 -> parameters(c);
            case 0x15 -> {
                long n = drive.sectors();
                c.setReg16(Cpu.ECX, (int) (n >>> 16));
                c.setReg16(Cpu.EDX, (int) n);
                c.setReg8(4, 0x03); // fixed disk
                c.setFlag(Cpu.CF, false);
            }
            case 0x41 -> eddCheck(c);
            case 0x42, 0x43 -> extendedTransfer(c, ah == 0x43);
            case 0x48 -> driveParameters(c);
            default -> result(c, BAD_COMMAND);
        }
    }

    /**
     * Reads {@code count} sectors from {@code lba} to physical address {@code dst} for the
     * guest, recording the read as going to {@code where}; returns the sectors done (fewer at
     * the end of the disk). Each sector is charged to the budget first, which may end the run.
     */
    int read(Cpu c, long lba, int count, long dst, String where) {
        record(new DiskRead(lba, count, where));
        int done = 0;
        for (; done < count; done++) {
            budget.chargeSectors(c, 1);
            if (!drive.read(lba + done, sector, sectorSegment)) {
                break;
            }
            state.countRead();
            mem.load(dst + (long) done * DiskDrive.SECTOR, sector, 0, DiskDrive.SECTOR);
        }
        return done;
    }

    /** Records a read the BIOS made for the guest (the boot-sector load included) and tells the listener. */
    void record(DiskRead read) {
        state.record(read);
        listener.accept(read);
    }

    private int write(Cpu c, long lba, int count, long src) {
        int done = 0;
        for (; done < count; done++) {
            budget.chargeSectors(c, 1);
            mem.read(src + (long) done * DiskDrive.SECTOR, sector, 0, DiskDrive.SECTOR);
            if (!drive.write(lba + done, sector)) {
                break;
            }
            state.countWrite();
        }
        return done;
    }

    private int transfer(Cpu c, boolean write, long lba, int count, long address, String where) {
        return write ? write(c, lba, count, address) : read(c, lba, count, address, where);
    }

    private void result(Cpu c, int status) {
        state.setLastStatus(status);
        bda.setDiskStatus(status);
        c.setReg8(4, status);
        c.setFlag(Cpu.CF, status != OK);
    }

    private void transferResult(Cpu c, boolean write, int done, int count) {
        result(c, done == count ? OK : write ? WRITE_FAULT : NOT_FOUND);
    }

    // AH=02h/03h: AL sectors, CH/CL cylinder and sector, DH head, ES:BX buffer
    private void chsTransfer(Cpu c, boolean write) {
        int count = c.reg8(0);
        int cl = c.reg8(1);
        int cylinder = c.reg8(5) | (cl & 0xC0) << 2;
        long lba = drive.geometry().lba(cylinder, c.reg8(6), cl & 0x3F);
        if (count == 0 || lba < 0) {
            c.setReg8(0, 0);
            result(c, BAD_COMMAND);
            return;
        }
        int es = c.seg(Cpu.ES), bx = c.reg16(Cpu.EBX);
        int done = transfer(c, write, lba, count, (es << 4) + bx, segmentOffset(es, bx));
        c.setReg8(0, done);
        transferResult(c, write, done, count);
    }

    // AH=08h: the geometry as CH/CL (last cylinder, sectors per track), DH last head, DL drives
    private void parameters(Cpu c) {
        DiskGeometry g = drive.geometry();
        int lastCylinder = g.cylinders() - 1;
        c.setReg8(5, lastCylinder & 0xFF);
        c.setReg8(1, (g.sectorsPerTrack() & 0x3F) | ((lastCylinder >>> 2) & 0xC0));
        c.setReg8(6, g.heads() - 1);
        c.setReg8(2, 1);
        c.setReg16(Cpu.EBX, 0);
        c.setSeg(Cpu.ES, 0);
        c.setReg16(Cpu.EDI, 0);
        result(c, OK);
    }

    // AH=41h: EDD installation check, BX=55AAh -> BX=AA55h, AH=30h (EDD 3.0), CX=1 (extended access)
    private void eddCheck(Cpu c) {
        if (c.reg16(Cpu.EBX) != EDD_SIGNATURE) {
            result(c, BAD_COMMAND);
            return;
        }
        c.setReg16(Cpu.EBX, 0xAA55);
        c.setReg16(Cpu.ECX, 0x0001);
        c.setReg8(4, 0x30);
        state.setLastStatus(OK);
        c.setFlag(Cpu.CF, false);
    }

    // AH=42h/43h: disk address packet at DS:SI (size, count, buffer seg:off or flat 64-bit at +10h, LBA)
    private void extendedTransfer(Cpu c, boolean write) {
        long packet = (c.seg(Cpu.DS) << 4) + (long) c.reg16(Cpu.ESI);
        int size = mem.read8(packet);
        int count = mem.read16(packet + 2);
        int off = mem.read16(packet + 4), seg = mem.read16(packet + 6);
        long lba = (mem.read32(packet + 8) & 0xFFFFFFFFL) | ((long) mem.read32(packet + 12) << 32);
        boolean flat = size >= 0x18 && off == FLAT_ADDRESS && seg == FLAT_ADDRESS;
        if (size < 0x10 || count > 127 && !flat) {
            mem.write16(packet + 2, 0);
            result(c, BAD_COMMAND);
            return;
        }
        long address = flat ? mem.read32(packet + 0x10) & 0xFFFFFFFFL : (seg << 4) + (long) off;
        String where = flat ? "%08X".formatted(address) : segmentOffset(seg, off);
        int done = transfer(c, write, lba, count, address, where);
        mem.write16(packet + 2, done);
        transferResult(c, write, done, count);
    }

    // AH=48h: EDD drive parameters into the buffer at DS:SI (its first word is its size)
    private void driveParameters(Cpu c) {
        long buf = (c.seg(Cpu.DS) << 4) + (long) c.reg16(Cpu.ESI);
        if (mem.read16(buf) < 0x1A) {
            result(c, BAD_COMMAND);
            return;
        }
        DiskGeometry g = drive.geometry();
        mem.write16(buf, 0x1A);
        mem.write16(buf + 2, 0x0002); // CHS information valid
        mem.write32(buf + 4, g.cylinders());
        mem.write32(buf + 8, g.heads());
        mem.write32(buf + 12, g.sectorsPerTrack());
        mem.write32(buf + 16, (int) g.sectors());
        mem.write32(buf + 20, (int) (g.sectors() >>> 32));
        mem.write16(buf + 24, DiskDrive.SECTOR);
        result(c, OK);
    }

    static String segmentOffset(int segment, int offset) {
        return "%04X:%04X".formatted(segment, offset);
    }
}
