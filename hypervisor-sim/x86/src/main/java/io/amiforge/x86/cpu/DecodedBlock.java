package io.amiforge.x86.cpu;

/**
 * Straight-line decoded instructions starting at a block's entry, as the interpreter's decode
 * cache holds them: for each its IP (offset in CS), the info word ({@code op | length << 10 |
 * o32 << 14 | a32 << 15 | segment override << 16 | rep << 19 | memory operand << 21 | ModR/M <<
 * 22}, bit 31 for a 16-bit {@code [disp16]} operand), the displacement, the immediate and the
 * second immediate or SIB byte. All instructions lie in one 4 KiB page of RAM and were decoded
 * in the same code size ({@link #code32()}). Read by a {@link BlockTranslator}; refilled by the
 * CPU for every translation, so a translator must not keep it.
 */
public final class DecodedBlock {

    /** Binary name a translated block's class must have. */
    public static final String CLASS_NAME = "io.amiforge.x86.cpu.TranslatedBlock";
    /** Most instructions and bytes a block spans. */
    public static final int MAX_INSTRUCTIONS = 64, MAX_BYTES = 256;

    private final int[] ip = new int[MAX_INSTRUCTIONS], info = new int[MAX_INSTRUCTIONS],
            disp = new int[MAX_INSTRUCTIONS], imm = new int[MAX_INSTRUCTIONS], imm2 = new int[MAX_INSTRUCTIONS];
    private int count;
    private boolean code32;

    DecodedBlock() {
    }

    void reset(boolean code32) {
        this.count = 0;
        this.code32 = code32;
    }

    void add(int ip, int info, int disp, int imm, int imm2) {
        this.ip[count] = ip;
        this.info[count] = info;
        this.disp[count] = disp;
        this.imm[count] = imm;
        this.imm2[count] = imm2;
        count++;
    }

    /** Number of instructions (at least 1). */
    public int count() {
        return count;
    }

    /** Whether the code segment is 32-bit (CS.D): EIP wraps at 4 GiB instead of 64 KiB. */
    public boolean code32() {
        return code32;
    }

    public int ip(int i) {
        return ip[i];
    }

    public int info(int i) {
        return info[i];
    }

    public int disp(int i) {
        return disp[i];
    }

    public int imm(int i) {
        return imm[i];
    }

    public int imm2(int i) {
        return imm2[i];
    }

    /** Everything a translation depends on, as a key for sharing translations between CPUs. */
    Key key() {
        int[] k = new int[2 + 5 * count];
        k[0] = code32 ? 1 : 0;
        k[1] = count;
        for (int i = 0; i < count; i++) {
            k[2 + 5 * i] = ip[i];
            k[3 + 5 * i] = info[i];
            k[4 + 5 * i] = disp[i];
            k[5 + 5 * i] = imm[i];
            k[6 + 5 * i] = imm2[i];
        }
        return new Key(k);
    }

    /** The content of a decoded block: equal keys translate to the same class. */
    record Key(int[] content) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key other && java.util.Arrays.equals(content, other.content);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(content);
        }

        @Override
        public String toString() {
            return "block of " + content[1] + " instructions at IP 0x" + Integer.toHexString(content[2]);
        }
    }
}
