package io.amiforge.x86.cpu;

import java.util.Arrays;

/**
 * The guest's physical memory: the first megabyte plus the high memory area (64 KiB above
 * 1 MiB, reachable from real mode only with the A20 gate open), and optional extended memory
 * above that (protected or unreal mode, the BIOS block move, loaders). The BIOS ROM area
 * (0xF0000-0xFFFFF) ignores guest writes. The first {@link #FLAT_MAX} (64 MiB) of memory, or all
 * of a smaller one, is one array allocated up front, which the CPU indexes directly and whose
 * code it caches and translates; memory above it is allocated in 64 KiB chunks on first write,
 * so a large configured size costs no more than that until used. Every size is bounded by the
 * constructor argument.
 *
 * <p>Writes into the flat part that holds decoded instructions invalidate the CPU's decode cache
 * for that 128-byte chunk (self-modifying and relocated code stay exact).
 */
public final class Memory {

    /** First byte above the high memory area (1 MiB + 64 KiB). */
    public static final int LOW_LIMIT = 0x110000;
    /** First byte of the read-only BIOS ROM. */
    public static final int ROM_BASE = 0xF0000;
    static final int CHUNK_SHIFT = 7;
    static final byte MARK_CODE = 1;
    static final byte MARK_ROM = 2;
    private static final int EXT_CHUNK = 1 << 16;

    /**
     * Most memory held in the flat array ({@link #ram}): up to this much of the guest's memory (all of a smaller
     * one) is one array, which the CPU indexes directly and whose code it caches and translates; above it the
     * 64 KiB chunks. GRUB decompresses its core at 1 MiB and runs its modules well above that.
     */
    static final int FLAT_MAX = 64 << 20;
    /** Size of the flat part: the first {@code flat} bytes of physical memory are {@link #ram}'s. */
    final int flat;
    final byte[] ram;
    final byte[] mark;
    /** The A20 gate as an address mask: all ones when open, bit 20 cleared when closed. */
    int a20Mask = A20_CLOSED;
    static final int A20_OPEN = 0xFFFFFFFF, A20_CLOSED = 0xFFEFFFFF;
    private final long size;
    private final byte[][] ext;
    DecodeCache cache;

    /** Memory of {@code size} bytes in total (at least 1 MiB + 64 KiB; at most 4 GiB). */
    public Memory(long size) {
        if (size < LOW_LIMIT || size > (1L << 32)) {
            throw new IllegalArgumentException("memory size " + size + " outside [" + LOW_LIMIT + ", 4 GiB]");
        }
        this.size = size;
        this.flat = (int) Math.min(size, FLAT_MAX);
        this.ram = new byte[flat + 16];
        this.mark = new byte[(flat >>> CHUNK_SHIFT) + 1];
        this.ext = new byte[(int) ((size - LOW_LIMIT + EXT_CHUNK - 1) / EXT_CHUNK)][];
        for (int a = ROM_BASE; a < 0x100000; a += 1 << CHUNK_SHIFT) {
            mark[a >>> CHUNK_SHIFT] = MARK_ROM;
        }
    }

    /** Makes the BIOS ROM area writable by the guest (bare CPU tests) or read-only again. */
    public void setRomWritable(boolean writable) {
        for (int a = ROM_BASE; a < 0x100000; a += 1 << CHUNK_SHIFT) {
            mark[a >>> CHUNK_SHIFT] = writable ? 0 : MARK_ROM;
        }
        if (cache != null) {
            cache.clear();
        }
    }

    /** Total size in bytes. */
    public long size() {
        return size;
    }

    /** Whether the A20 gate is open (addresses at and above 1 MiB do not wrap). */
    public boolean a20() {
        return a20Mask == A20_OPEN;
    }

    public void setA20(boolean enabled) {
        a20Mask = enabled ? A20_OPEN : A20_CLOSED;
    }

    /** Reads a byte at a physical address (0xFF outside memory). */
    public int read8(long addr) {
        if (addr >= 0 && addr < flat) {
            return ram[(int) addr] & 0xFF;
        }
        if (addr < flat || addr >= size) {
            return 0xFF;
        }
        byte[] c = ext[(int) ((addr - LOW_LIMIT) / EXT_CHUNK)];
        return c == null ? 0 : c[(int) ((addr - LOW_LIMIT) % EXT_CHUNK)] & 0xFF;
    }

    public int read16(long addr) {
        return read8(addr) | read8(addr + 1) << 8;
    }

    public int read32(long addr) {
        return read16(addr) | read16(addr + 2) << 16;
    }

    /** Writes a byte at a physical address as the loader/BIOS (ROM included; ignored outside memory). */
    public void write8(long addr, int value) {
        if (addr >= 0 && addr < flat) {
            int a = (int) addr;
            if (mark[a >>> CHUNK_SHIFT] == MARK_CODE) {
                invalidate(a);
            }
            ram[a] = (byte) value;
            return;
        }
        if (addr < flat || addr >= size) {
            return;
        }
        int ci = (int) ((addr - LOW_LIMIT) / EXT_CHUNK);
        byte[] c = ext[ci];
        if (c == null) {
            if (value == 0) {
                return;
            }
            c = ext[ci] = new byte[EXT_CHUNK];
        }
        c[(int) ((addr - LOW_LIMIT) % EXT_CHUNK)] = (byte) value;
    }

    public void write16(long addr, int value) {
        write8(addr, value);
        write8(addr + 1, value >>> 8);
    }

    public void write32(long addr, int value) {
        write16(addr, value);
        write16(addr + 2, value >>> 16);
    }

    /** Copies {@code len} bytes of {@code bytes} to physical address {@code addr} (bytes outside memory are dropped). */
    public void load(long addr, byte[] bytes, int off, int len) {
        int i = 0;
        while (i < len) {
            long a = addr + i;
            if (a < 0 || a >= size) {
                return;
            }
            if (a < flat) {
                int n = (int) Math.min(len - i, flat - a);
                int lo = (int) a;
                for (int c = lo >>> CHUNK_SHIFT; c <= (lo + n - 1) >>> CHUNK_SHIFT; c++) {
                    if (mark[c] == MARK_CODE) {
                        invalidate(c << CHUNK_SHIFT);
                    }
                }
                System.arraycopy(bytes, off + i, ram, lo, n);
                i += n;
            } else {
                long rel = a - LOW_LIMIT;
                int ci = (int) (rel / EXT_CHUNK), co = (int) (rel % EXT_CHUNK);
                int n = (int) Math.min(Math.min(len - i, EXT_CHUNK - co), size - a);
                if (ext[ci] == null) {
                    ext[ci] = new byte[EXT_CHUNK];
                }
                System.arraycopy(bytes, off + i, ext[ci], co, n);
                i += n;
            }
        }
    }

    /** Reads {@code len} bytes at physical address {@code addr} into {@code dst} (0xFF outside memory). */
    public void read(long addr, byte[] dst, int off, int len) {
        int i = 0;
        while (i < len) {
            long a = addr + i;
            if (a < 0 || a >= size) {
                java.util.Arrays.fill(dst, off + i, off + len, (byte) 0xFF);
                return;
            }
            if (a < flat) {
                int n = (int) Math.min(len - i, flat - a);
                System.arraycopy(ram, (int) a, dst, off + i, n);
                i += n;
            } else {
                long rel = a - LOW_LIMIT;
                int ci = (int) (rel / EXT_CHUNK), co = (int) (rel % EXT_CHUNK);
                int n = (int) Math.min(Math.min(len - i, EXT_CHUNK - co), size - a);
                if (ext[ci] == null) {
                    java.util.Arrays.fill(dst, off + i, off + i + n, (byte) 0);
                } else {
                    System.arraycopy(ext[ci], co, dst, off + i, n);
                }
                i += n;
            }
        }
    }

    /** Reads {@code len} bytes from physical address {@code addr}. */
    public byte[] copyOut(long addr, int len) {
        byte[] out = new byte[len];
        read(addr, out, 0, len);
        return out;
    }

    /** Zeroes all memory and forgets decoded code (the ROM protection stays). */
    public void clear() {
        Arrays.fill(ram, (byte) 0);
        Arrays.fill(ext, null);
        for (int i = 0; i < mark.length; i++) {
            if (mark[i] == MARK_CODE) {
                mark[i] = 0;
            }
        }
        if (cache != null) {
            cache.clear();
        }
    }

    /** Guest write path's slow case: the chunk holds decoded code. */
    void invalidate(int a) {
        int chunk = a >>> CHUNK_SHIFT;
        mark[chunk] = 0;
        if (cache != null) {
            cache.invalidateChunk(chunk << CHUNK_SHIFT, 1 << CHUNK_SHIFT);
            cache.clearLinear();
        }
    }
}
