package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;
import java.nio.charset.StandardCharsets;

/**
 * What POST leaves in memory for the guest: the interrupt vector table (every vector points at
 * its one-byte BIOS stub, whose execution traps to Java), the data-pointer vectors (diskette
 * parameters, INT 41h fixed-disk parameters of disk 0x80), the BIOS data area and EBDA, and
 * the ROM tables (INT 15h C0h configuration table, diskette table, reset vector, BIOS date).
 * It runs once, before the guest; it keeps no state.
 */
final class PowerOnSelfTest {

    /** Offset in segment F000h of the system configuration table INT 15h AH=C0h returns. */
    static final int CONFIG_TABLE = 0xE6F5;
    private static final int DISKETTE_TABLE = 0xEFC7;
    private static final int VIDEO_PARAMETERS = 0xF0A4;
    private static final int[] DISKETTE = {0xAF, 0x02, 0x25, 0x02, 0x12, 0x1B, 0xFF, 0x6C, 0xF6, 0x0F, 0x08};
    // length 8, model FCh (AT), submodel 00h, revision 01h; feature bytes: second PIC, RTC, INT 15h
    // AH=4Fh keyboard intercept, EBDA allocated (74h); INT 16h AH=09h supported (40h)
    private static final int[] CONFIG = {0x08, 0x00, 0xFC, 0x00, 0x01, 0x74, 0x40, 0x00, 0x00, 0x00};
    private static final int IRET = 0xCF;
    private static final int JMP_FAR = 0xEA;

    private PowerOnSelfTest() {
    }

    static void run(Memory mem, BiosDataArea bda, DiskGeometry disk) {
        for (int v = 0; v < 256; v++) {
            setVector(mem, v, Cpu.BIOS_SEGMENT, Cpu.BIOS_TRAP_OFFSET + v);
            mem.write8(Cpu.BIOS_TRAP_BASE + v, IRET); // should anyone read the stub
        }
        setVector(mem, 0x1D, Cpu.BIOS_SEGMENT, VIDEO_PARAMETERS);
        setVector(mem, 0x1E, Cpu.BIOS_SEGMENT, DISKETTE_TABLE);
        setVector(mem, 0x1F, 0, 0); // no graphics character table
        setVector(mem, 0x41, BiosDataArea.EBDA_SEGMENT, BiosDataArea.FDPT_OFFSET);
        long fdpt = BiosDataArea.EBDA_SEGMENT * 16L + BiosDataArea.FDPT_OFFSET;
        mem.write16(fdpt, disk.cylinders());
        mem.write8(fdpt + 2, disk.heads());
        mem.write16(fdpt + 12, disk.cylinders());
        mem.write8(fdpt + 14, disk.sectorsPerTrack());
        rom(mem, DISKETTE_TABLE, DISKETTE);
        rom(mem, CONFIG_TABLE, CONFIG);
        byte[] date = "01/01/20".getBytes(StandardCharsets.US_ASCII);
        mem.load(0xFFFF5, date, 0, date.length);
        mem.write8(0xFFFFE, 0xFC); // model byte: AT
        mem.write8(0xFFFF0, JMP_FAR); // the reset vector traps before it runs
        bda.initialise();
    }

    private static void setVector(Memory mem, int vector, int segment, int offset) {
        mem.write16(vector * 4L, offset);
        mem.write16(vector * 4L + 2, segment);
    }

    private static void rom(Memory mem, int offset, int[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            mem.write8(Memory.ROM_BASE + offset + i, bytes[i]);
        }
    }
}
