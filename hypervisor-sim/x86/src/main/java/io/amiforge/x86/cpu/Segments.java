package io.amiforge.x86.cpu;

import static io.amiforge.x86.cpu.Cpu.CS;
import static io.amiforge.x86.cpu.Cpu.SS;

/**
 * Segment-register loads. In real mode the selector times 16 is the base and the cached limit
 * and attributes stay (so segments loaded in protected mode keep their limits back in real
 * mode: "unreal mode"). In protected mode the selector indexes the GDT or, with TI set, the
 * LDT; the descriptor must lie within the table's limit (else #GP(selector)), be a code or data
 * segment of the right kind (CS: code; SS: writable data; others: data or readable code; else
 * #GP(selector)) and be present (else #NP, or #SS for SS); its accessed bit is set in memory.
 * A null selector is accepted for DS, ES, FS and GS (an unusable segment) and faults for CS
 * and SS. Privilege levels are not checked: the guest runs at CPL 0. Descriptor-table
 * addresses are linear (paging does not apply to them here).
 */
final class Segments {

    static final int ACCESSED = 0x01, WRITABLE_READABLE = 0x02, CODE = 0x08, CODE_OR_DATA = 0x10, PRESENT = 0x80;
    private static final int G = 0x8000;

    private Segments() {
    }

    /** Loads segment register {@code i} with {@code selector} as the current mode does. */
    static void load(Exec x, int i, int selector) {
        selector &= 0xFFFF;
        if (!x.pe) {
            x.setSeg(i, selector);
            return;
        }
        if ((selector & ~3) == 0) {
            if (i == CS || i == SS) {
                x.fault(13, 0);
            }
            x.sr[i] = selector;
            x.sb[i] = 0;
            x.slim[i] = 0;
            x.sattr[i] = 0;
            return;
        }
        int at = descriptorAddress(x, selector);
        int lo = Bus.rd32(x, 0, at), hi = Bus.rd32(x, 0, at + 4);
        int attr = (hi >>> 8) & 0xF0FF;
        boolean code = (attr & CODE) != 0;
        boolean fits = (attr & CODE_OR_DATA) != 0 && switch (i) {
            case CS -> code;
            case SS -> !code && (attr & WRITABLE_READABLE) != 0;
            default -> !code || (attr & WRITABLE_READABLE) != 0;
        };
        if (!fits) {
            x.fault(13, selector & ~3);
        }
        if ((attr & PRESENT) == 0) {
            x.fault(i == SS ? 12 : 11, selector & ~3);
        }
        if ((attr & ACCESSED) == 0) {
            Bus.wr32(x, 0, at + 4, hi | (ACCESSED << 8));
            attr |= ACCESSED;
        }
        x.sr[i] = selector;
        x.sb[i] = base(lo, hi);
        x.slim[i] = limit(lo, hi);
        x.sattr[i] = attr;
        if (i == CS || i == SS) {
            x.segmentsChanged();
        }
    }

    /** Linear address of the descriptor {@code selector} names; #GP(selector) beyond its table's limit. */
    static int descriptorAddress(Exec x, int selector) {
        int index = selector & ~7;
        boolean local = (selector & 4) != 0;
        int tableLimit = local ? x.ldtLimit : x.gdtLimit;
        if (Integer.compareUnsigned(index + 7, tableLimit) > 0 || (local && x.ldtr == 0)) {
            x.fault(13, selector & ~3);
        }
        return (local ? x.ldtBase : x.gdtBase) + index;
    }

    static int base(int lo, int hi) {
        return (lo >>> 16) | (hi & 0xFF) << 16 | (hi & 0xFF000000);
    }

    static int limit(int lo, int hi) {
        int limit = (lo & 0xFFFF) | (hi & 0xF0000);
        return (hi & (G << 8)) != 0 ? limit << 12 | 0xFFF : limit;
    }

    /**
     * LLDT ({@code type} 2) or LTR ({@code type} 9, marked busy): loads a system-segment
     * descriptor from the GDT into LDTR or TR. A null selector empties LDTR.
     */
    static void loadSystem(Exec x, int selector, boolean task) {
        selector &= 0xFFFF;
        if ((selector & ~3) == 0 && !task) {
            x.ldtr = 0;
            x.ldtBase = 0;
            x.ldtLimit = 0;
            return;
        }
        if ((selector & 4) != 0 || (selector & ~3) == 0) {
            x.fault(13, selector & ~3);
        }
        int at = descriptorAddress(x, selector);
        int lo = Bus.rd32(x, 0, at), hi = Bus.rd32(x, 0, at + 4);
        int type = (hi >>> 8) & 0x1F;
        boolean ok = task ? type == 0x09 || type == 0x01 : type == 0x02;
        if (!ok) {
            x.fault(13, selector & ~3);
        }
        if ((hi & (PRESENT << 8)) == 0) {
            x.fault(11, selector & ~3);
        }
        if (task) {
            Bus.wr32(x, 0, at + 4, hi | (0x02 << 8)); // busy
            x.tr = selector;
            x.trBase = base(lo, hi);
            x.trLimit = limit(lo, hi);
        } else {
            x.ldtr = selector;
            x.ldtBase = base(lo, hi);
            x.ldtLimit = limit(lo, hi);
        }
    }
}
