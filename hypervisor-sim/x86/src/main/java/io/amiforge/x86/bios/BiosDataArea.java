package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Memory;

/**
 * The BIOS data area (segment 0040h) and the extended BIOS data area, as named fields. The
 * state itself stays in guest memory, where a real BIOS keeps it and where guests read and
 * write it directly (the video mode at 0040:0049, the tick count at 0040:006C); this class
 * only names the offsets, so the services that share a field cannot disagree about it.
 */
public final class BiosDataArea {

    /** Segment of the extended BIOS data area (1 KiB below 640 KiB). */
    public static final int EBDA_SEGMENT = 0x9FC0;
    /** Conventional memory reported by INT 12h, in KiB (640 KiB less the EBDA). */
    public static final int BASE_MEMORY_KB = 639;
    /** Offset in the EBDA of disk 0x80's fixed-disk parameter table (INT 41h points at it). */
    public static final int FDPT_OFFSET = 0x3D;
    /** Timer ticks in a day: the tick count wraps to 0 at midnight. */
    public static final long TICKS_PER_DAY = 0x1800B0L;
    /** Text columns and rows of video mode 3. */
    public static final int COLUMNS = 80, ROWS = 25;

    private static final int COM1 = 0x400;
    private static final int EBDA = 0x40E;
    private static final int EQUIPMENT = 0x410;
    private static final int MEMORY_KB = 0x413;
    private static final int KEYBOARD_HEAD = 0x41A, KEYBOARD_TAIL = 0x41C;
    private static final int KEYBOARD_START = 0x480, KEYBOARD_END = 0x482;
    private static final int VIDEO_MODE = 0x449;
    private static final int VIDEO_COLUMNS = 0x44A;
    private static final int VIDEO_PAGE_SIZE = 0x44C;
    private static final int CURSOR = 0x450;
    private static final int CURSOR_SHAPE = 0x460;
    private static final int ACTIVE_PAGE = 0x462;
    private static final int CRTC_PORT = 0x463;
    private static final int TICKS = 0x46C;
    private static final int MIDNIGHT = 0x470;
    private static final int DISK_STATUS = 0x474;
    private static final int HARD_DISKS = 0x475;
    private static final int VIDEO_ROWS = 0x484;
    private static final int CHAR_HEIGHT = 0x485;
    private static final int EGA_MISC = 0x487, EGA_SWITCHES = 0x488, VGA_FLAGS = 0x489;

    private final Memory mem;

    public BiosDataArea(Memory mem) {
        this.mem = mem;
    }

    /** Writes the fields as POST leaves them: COM1, one hard disk, 80x25 colour text, empty keyboard buffer. */
    void initialise() {
        mem.write16(COM1, 0x3F8);
        mem.write16(EBDA, EBDA_SEGMENT);
        mem.write16(EQUIPMENT, 0x0220); // 80x25 colour, one serial port
        mem.write16(MEMORY_KB, BASE_MEMORY_KB);
        mem.write16(KEYBOARD_HEAD, 0x1E);
        mem.write16(KEYBOARD_TAIL, 0x1E);
        mem.write16(KEYBOARD_START, 0x1E);
        mem.write16(KEYBOARD_END, 0x3E);
        mem.write8(VIDEO_MODE, 3);
        mem.write16(VIDEO_COLUMNS, COLUMNS);
        mem.write16(VIDEO_PAGE_SIZE, COLUMNS * ROWS * 2);
        mem.write16(CURSOR_SHAPE, 0x0607);
        mem.write16(CRTC_PORT, 0x3D4);
        mem.write8(HARD_DISKS, 1);
        mem.write8(VIDEO_ROWS, ROWS - 1);
        mem.write16(CHAR_HEIGHT, 16);
        mem.write8(EGA_MISC, 0x60);
        mem.write8(EGA_SWITCHES, 0x09);
        mem.write8(VGA_FLAGS, 0x11);
        mem.write16(EBDA_SEGMENT * 16L, 1); // the EBDA's first word is its size in KiB
    }

    /** The equipment word INT 11h returns. */
    public int equipment() {
        return mem.read16(EQUIPMENT);
    }

    /** Conventional memory in KiB, as INT 12h returns it. */
    public int baseMemoryKb() {
        return mem.read16(MEMORY_KB);
    }

    public int videoMode() {
        return mem.read8(VIDEO_MODE);
    }

    public void setVideoMode(int mode) {
        mem.write8(VIDEO_MODE, mode);
    }

    /** Cursor of display page {@code page} (0-7) as {@code row << 8 | column}. */
    public int cursor(int page) {
        return mem.read16(CURSOR + 2L * (page & 7));
    }

    public void setCursor(int page, int rowColumn) {
        mem.write16(CURSOR + 2L * (page & 7), rowColumn);
    }

    /** Cursor start and end scan lines (INT 10h AH=01h). */
    public int cursorShape() {
        return mem.read16(CURSOR_SHAPE);
    }

    public void setCursorShape(int shape) {
        mem.write16(CURSOR_SHAPE, shape);
    }

    public int activePage() {
        return mem.read8(ACTIVE_PAGE);
    }

    public void setActivePage(int page) {
        mem.write8(ACTIVE_PAGE, page);
    }

    /** Timer ticks since midnight (0040:006C). */
    public long ticks() {
        return mem.read32(TICKS) & 0xFFFFFFFFL;
    }

    /** Sets the tick count to {@code ticks} since boot, wrapped at midnight. */
    public void setTicks(long ticks) {
        mem.write32(TICKS, (int) (ticks % TICKS_PER_DAY));
    }

    /** Counts one timer tick (INT 08h), wrapping at midnight and setting the midnight flag (0040:0070). */
    public void tick() {
        long t = ticks() + 1;
        if (t >= TICKS_PER_DAY) {
            t = 0;
            mem.write8(MIDNIGHT, 1);
        }
        mem.write32(TICKS, (int) t);
    }

    /** Reads and clears the midnight flag (0040:0070), as INT 1Ah AH=00h does. */
    public int takeMidnightFlag() {
        int f = mem.read8(MIDNIGHT);
        mem.write8(MIDNIGHT, 0);
        return f;
    }

    /** Status of the last hard-disk operation (0040:0074). */
    public void setDiskStatus(int status) {
        mem.write8(DISK_STATUS, status);
    }
}
