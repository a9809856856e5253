package io.amiforge.x86.cpu;

import java.util.Arrays;

/**
 * Linear-to-physical translation of 32-bit paging (CR0.PG set, CR4.PAE clear), as the Intel SDM
 * vol. 3 ch. 4.3 describes it: CR3 names the page directory, whose entry for bits 31:22 of the
 * linear address either maps a 4 MiB page (CR4.PSE and PDE.PS set; bits 21:13 reserved, as on a
 * CPU without PSE-36) or names a page table whose entry for bits 21:12 maps a 4 KiB page.
 *
 * <p>Rights are the AND of both levels' R/W and U/S bits. A supervisor access (CPL 0, the only
 * level this CPU runs at) may read any present page and write any present page unless CR0.WP is
 * set and the page is read-only; a user access ({@link #USER}, for callers that model CPL 3)
 * needs U/S and, to write, R/W. A translation sets the accessed bit of the directory entry it
 * walks through, and, once the access is allowed, the accessed bit (and for a write the dirty
 * bit) of the entry that maps the page, as QEMU and the hardware do. A failed translation
 * stores the linear address in CR2 and raises #PF with the error code: bit 0 set for a
 * protection or reserved-bit fault (clear: not present), bit 1 for a write, bit 2 for a user
 * access, bit 3 for a reserved bit.
 *
 * <p>The TLB is a direct-mapped software cache of {@link #TLB_SIZE} 4 KiB translations (a 4 MiB
 * page is cached per 4 KiB piece), in plain int arrays: a lookup is an index, a compare and an
 * OR, and nothing is allocated. A read hit needs the entry's read tag; a write hit its write
 * tag, which is only set once the page is writable at CPL 0 and its dirty bit is set, so the
 * first write to a clean page walks again and sets the dirty bit. As on hardware, the entries
 * go stale when the guest edits its tables: MOV CR3 and a change of CR0.PG/WP or CR4.PSE/PGE
 * flush all of them, INVLPG the one for its page (and those of a 4 MiB page around it). Global
 * pages (CR4.PGE) are flushed by MOV CR3 too, which the architecture allows.
 */
final class Paging {

    /** Access kinds, as the #PF error code encodes them: a read, a write, a user-mode access. */
    static final int READ = 0, WRITE = 2, USER = 4;
    /** Entries of the direct-mapped TLB (a power of two). */
    static final int TLB_SIZE = 256;
    /** CR0 bits: paging, write protect. */
    static final int CR0_PG = 0x80000000, CR0_WP = 0x10000;
    /** CR4 bits: page size extension, physical address extension, global pages. */
    static final int CR4_PSE = 0x10, CR4_PAE = 0x20, CR4_PGE = 0x80;

    private static final int PRESENT = 1, RW = 2, US = 4, ACCESSED = 0x20, DIRTY = 0x40, PS = 0x80;
    private static final int ERR_PROTECTION = 1, ERR_RESERVED = 8;
    /** Bits 21:13 of a 4 MiB directory entry: reserved without PSE-36. */
    private static final int LARGE_RESERVED = 0x003FE000;
    private static final int PAGE_FAULT = 14;
    private static final int VALID = 1, MASK = TLB_SIZE - 1;

    /** Per entry: the linear page | {@link #VALID} a read (and a write) may hit, and the physical page. */
    private final int[] readTag = new int[TLB_SIZE], writeTag = new int[TLB_SIZE], frame = new int[TLB_SIZE];
    /** Per entry: whether it is a piece of a 4 MiB page (INVLPG drops the whole page). */
    private final boolean[] large = new boolean[TLB_SIZE];
    private boolean anyLarge;

    /** Physical address of a supervisor read (or instruction fetch) at {@code lin}; #PF if not allowed. */
    int read(Exec x, int lin) {
        int i = (lin >>> 12) & MASK;
        if (readTag[i] == ((lin & ~0xFFF) | VALID)) {
            return frame[i] | (lin & 0xFFF);
        }
        return walk(x, lin, READ);
    }

    /** Physical address of a supervisor write at {@code lin}; #PF if not allowed. Sets the dirty bit. */
    int write(Exec x, int lin) {
        int i = (lin >>> 12) & MASK;
        if (writeTag[i] == ((lin & ~0xFFF) | VALID)) {
            return frame[i] | (lin & 0xFFF);
        }
        return walk(x, lin, WRITE);
    }

    /** Physical address of an access of kind {@code access} ({@link #READ}/{@link #WRITE}, plus {@link #USER}). */
    int translate(Exec x, int lin, int access) {
        if ((access & USER) != 0) {
            return walk(x, lin, access); // user rights are a subset of the supervisor's a TLB hit proves
        }
        return access == WRITE ? write(x, lin) : read(x, lin);
    }

    /** Physical address of {@code lin} without faulting or touching accessed/dirty bits, or -1 when not mapped. */
    long peek(Exec x, int lin) {
        int pde = x.mem.read32(directoryEntry(x, lin));
        if ((pde & PRESENT) == 0) {
            return -1;
        }
        if ((pde & PS) != 0 && (x.cr4 & CR4_PSE) != 0) {
            return (pde & LARGE_RESERVED) != 0 ? -1 : ((pde & 0xFFC00000) | (lin & 0x3FFFFF)) & 0xFFFFFFFFL;
        }
        int pte = x.mem.read32(tableEntry(x, pde, lin));
        return (pte & PRESENT) == 0 ? -1 : ((pte & ~0xFFF) | (lin & 0xFFF)) & 0xFFFFFFFFL;
    }

    /** Forgets every cached translation (MOV CR3, a change of CR0.PG/WP or CR4.PSE/PGE). */
    void flush() {
        Arrays.fill(readTag, 0);
        Arrays.fill(writeTag, 0);
        Arrays.fill(large, false);
        anyLarge = false;
    }

    /** INVLPG: forgets the translation of the page holding {@code lin} (all of it for a 4 MiB page). */
    void invalidate(int lin) {
        int i = (lin >>> 12) & MASK;
        readTag[i] = 0;
        writeTag[i] = 0;
        if (anyLarge) {
            int region = lin >>> 22;
            for (int k = 0; k < TLB_SIZE; k++) {
                if (large[k] && readTag[k] >>> 22 == region) {
                    readTag[k] = 0;
                    writeTag[k] = 0;
                }
            }
        }
    }

    private static long directoryEntry(Exec x, int lin) {
        return ((x.cr3 & ~0xFFF) | ((lin >>> 20) & 0xFFC)) & x.mem.a20Mask & 0xFFFFFFFFL;
    }

    private static long tableEntry(Exec x, int pde, int lin) {
        return ((pde & ~0xFFF) | ((lin >>> 10) & 0xFFC)) & x.mem.a20Mask & 0xFFFFFFFFL;
    }

    /** The table walk on a TLB miss: checks rights, sets accessed/dirty bits, fills the TLB entry. */
    private int walk(Exec x, int lin, int access) {
        long pdeAt = directoryEntry(x, lin);
        int pde = x.mem.read32(pdeAt);
        if ((pde & PRESENT) == 0) {
            throw fault(x, lin, access);
        }
        int entry, rights;
        long entryAt;
        boolean big = (pde & PS) != 0 && (x.cr4 & CR4_PSE) != 0;
        int page;
        if (big) {
            if ((pde & LARGE_RESERVED) != 0) {
                throw fault(x, lin, access | ERR_PROTECTION | ERR_RESERVED);
            }
            entry = pde;
            entryAt = pdeAt;
            rights = pde;
            page = (pde & 0xFFC00000) | (lin & 0x3FF000);
        } else {
            if ((pde & ACCESSED) == 0) {
                x.mem.write32(pdeAt, pde | ACCESSED);
            }
            entryAt = tableEntry(x, pde, lin);
            entry = x.mem.read32(entryAt);
            if ((entry & PRESENT) == 0) {
                throw fault(x, lin, access);
            }
            rights = pde & entry;
            page = entry & ~0xFFF;
        }
        boolean write = (access & WRITE) != 0;
        boolean denied = (access & USER) != 0
                ? (rights & US) == 0 || write && (rights & RW) == 0
                : write && (rights & RW) == 0 && (x.cr0 & CR0_WP) != 0;
        if (denied) {
            throw fault(x, lin, access | ERR_PROTECTION);
        }
        int updated = entry | ACCESSED | (write ? DIRTY : 0);
        if (updated != entry) {
            x.mem.write32(entryAt, updated);
        }
        int i = (lin >>> 12) & MASK, tag = (lin & ~0xFFF) | VALID;
        boolean writable = (rights & RW) != 0 || (x.cr0 & CR0_WP) == 0;
        readTag[i] = tag;
        writeTag[i] = writable && (updated & DIRTY) != 0 ? tag : 0;
        frame[i] = page;
        large[i] = big;
        anyLarge |= big;
        return page | (lin & 0xFFF);
    }

    /** Stores CR2 and raises #PF with {@code errorCode}; never returns normally. */
    private static CpuSignal fault(Exec x, int lin, int errorCode) {
        x.cr2 = lin;
        x.fault(PAGE_FAULT, errorCode);
        return CpuSignal.UNWIND; // not reached: fault() unwinds
    }
}
