package io.amiforge.x86.cpu;

import java.lang.invoke.MethodHandles;
import java.util.ServiceLoader;

/**
 * Translated basic blocks, keyed like the decode cache by physical address and code size (plus
 * the IP, which the block's code holds as constants): a direct-mapped table of 64 Ki entries
 * with an execution counter per entry. The run loop asks {@link #runAt} before each
 * interpreted instruction: a block for CS:IP runs when it fits before the next machine event;
 * otherwise the entry's counter goes up and, at {@link #threshold} executions, the decoded
 * instructions there are handed to the {@link BlockTranslator} and the class it emits is
 * defined as a hidden class of this package.
 *
 * <p>Invalidation: the decode cache reports every guest write into a chunk holding decoded code
 * ({@link #invalidate}); the blocks overlapping it are dropped and {@link #epoch} moves on, which
 * makes a running block leave after the write. An entry invalidated {@link #MAX_RETRANSLATIONS}
 * times is left to the interpreter (code that rewrites itself in a loop). With paging on
 * (CR0.PG) no block runs: a page fault inside one would see its deferred flags.
 */
final class Blocks {

    /** Entries invalidated this often are not translated again. */
    static final int MAX_RETRANSLATIONS = 4;
    private static final int SIZE = 1 << 16, MASK = SIZE - 1;
    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    /**
     * Translations by block content, shared between CPUs: a boot that meets the blocks an
     * earlier boot in this JVM met reuses their classes, already compiled by the JVM's JIT.
     * Emptied when it reaches {@link #MAX_SHARED} entries.
     */
    private static final java.util.concurrent.ConcurrentHashMap<DecodedBlock.Key, Shared> SHARED =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final int MAX_SHARED = 50_000;
    private static final Shared NOT_TRANSLATABLE = new Shared(Object.class, 0, 0);
    private static final BlockTranslator TRANSLATOR =
            ServiceLoader.load(BlockTranslator.class, Blocks.class.getClassLoader()).findFirst().orElse(null);

    /** Incremented by every invalidation: a block compares it after each guest write. */
    int epoch;
    private final CompiledBlock[] table = new CompiledBlock[SIZE];
    private final int[] counts = new int[SIZE];
    private final byte[] retranslations = new byte[SIZE];
    private final int threshold;
    private final DecodedBlock scratch = new DecodedBlock();
    private int translated;

    /** Blocks translated after {@code threshold} (at least 1) executions of their entry. */
    Blocks(int threshold) {
        if (threshold < 1) {
            throw new IllegalArgumentException("translation threshold " + threshold + " < 1");
        }
        this.threshold = threshold;
    }

    /** Whether a translator is on the module or class path. */
    static boolean available() {
        return TRANSLATOR != null;
    }

    /** Number of blocks translated so far. */
    int translated() {
        return translated;
    }

    /**
     * Runs the block at CS:IP if there is one and it fits before {@link Exec#limit}; false: the
     * caller interprets one instruction.
     */
    boolean runAt(Exec x) {
        if (x.cr0 < 0) {
            return false;
        }
        int ip = x.ip;
        int phys = (x.sb[Cpu.CS] + ip) & x.a20;
        if (Integer.compareUnsigned(phys, x.flat - 16) >= 0) {
            return false; // above the flat RAM array: not in the decode cache, so never translated
        }
        int i = phys & MASK;
        CompiledBlock b = table[i];
        if (b != null && b.tag == (phys | x.codeTag) && b.ip == ip) {
            if (x.icount + b.instructions > x.limit) {
                return false;
            }
            long before = x.icount;
            b.run(x, this);
            return x.icount != before; // a block that left before its first instruction (a limit fault): interpret it
        }
        int c = counts[i];
        if (c < threshold) {
            counts[i] = c + 1;
        } else if (c == threshold) {
            counts[i] = c + 1;
            CompiledBlock t = translate(x, phys, ip, DecodedBlock.MAX_INSTRUCTIONS);
            if (t != null) {
                table[i] = t;
                translated++;
            }
        }
        return false;
    }

    /**
     * Translates the decoded instructions at CS:IP (= {@code phys}), at most {@code max} of
     * them; null when the first is not decoded or not translatable. The block is not entered in
     * the table.
     */
    CompiledBlock translate(Exec x, int phys, int ip, int max) {
        DecodedBlock d = scratch;
        d.reset(x.codeTag != 0);
        int[] ce = x.ce;
        int cur = ip, bytes = 0;
        while (d.count() < max) {
            int p = (x.sb[Cpu.CS] + cur) & x.a20;
            if (p >>> 12 != phys >>> 12 || Integer.compareUnsigned(p, x.flat - 16) >= 0) {
                break;
            }
            int slot = (p & (DecodeCache.SIZE - 1)) * DecodeCache.STRIDE;
            if (ce[slot] != (p | x.codeTag)) {
                break;
            }
            int inf = ce[slot + DecodeCache.INFO];
            int len = (inf >>> 10) & 0xF;
            if (bytes + len > DecodedBlock.MAX_BYTES || (x.ipMask == 0xFFFF && cur + len > 0xFFFF)) {
                break;
            }
            d.add(cur, inf, ce[slot + DecodeCache.DISP], ce[slot + DecodeCache.IMM], ce[slot + DecodeCache.IMM2]);
            bytes += len;
            cur = (cur + len) & x.ipMask;
        }
        if (d.count() == 0) {
            return null;
        }
        DecodedBlock.Key key = d.key();
        Shared shared = SHARED.get(key);
        if (shared == null) {
            BlockTranslator.Translation t = TRANSLATOR.translate(d);
            shared = t == null ? NOT_TRANSLATABLE : new Shared(define(t.classFile(), phys, x, ip), t.instructions(),
                    t.bytes());
            if (SHARED.size() >= MAX_SHARED) {
                SHARED.clear();
            }
            SHARED.put(key, shared);
        }
        if (shared == NOT_TRANSLATABLE) {
            return null;
        }
        CompiledBlock b;
        try {
            b = (CompiledBlock) shared.type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("translated block " + key + " cannot be instantiated: " + e, e);
        }
        b.tag = phys | x.codeTag;
        b.ip = ip;
        b.phys = phys;
        b.bytes = shared.bytes;
        b.instructions = shared.instructions;
        return b;
    }

    private static Class<?> define(byte[] classFile, int phys, Exec x, int ip) {
        try {
            return LOOKUP.defineHiddenClass(classFile, true).lookupClass();
        } catch (IllegalAccessException | LinkageError e) {
            throw new IllegalStateException("translated block at physical 0x" + Integer.toHexString(phys)
                    + " (CS:IP " + Integer.toHexString(x.sr[Cpu.CS]) + ":" + Integer.toHexString(ip) + ") is invalid: "
                    + e, e);
        }
    }

    /** A translation shared by every CPU that meets the same decoded block (the class has no state of its own). */
    private record Shared(Class<?> type, int instructions, int bytes) {
    }

    /**
     * Prepares an instruction a translated block leaves to the interpreter's handler (info word {@code inf} and its
     * operands as the decode cache held them, put in the scratch entry): makes it current and computes its memory
     * operand, as {@link Cpu#execute} does before it dispatches. The block has set IP past it, its start and the
     * count, and calls the handler itself ({@code OneByte.exec}, {@code TwoByte.exec} or, for the instructions
     * blocks run most, the handler method directly, so each call site has its own target).
     */
    static void operand(Exec x, int inf, int disp, int imm, int imm2) {
        int[] ce = x.ce;
        int s = Decoder.SCRATCH;
        ce[s + DecodeCache.DISP] = disp;
        ce[s + DecodeCache.IMM] = imm;
        ce[s + DecodeCache.IMM2] = imm2;
        Cpu.operand(x, s, inf, ce, x.sb);
    }

    /** Drops the blocks that overlap {@code [start, start+len)} (guest code there was written). */
    void invalidate(int start, int len) {
        epoch++;
        int end = start + len;
        for (int a = Math.max(0, start - DecodedBlock.MAX_BYTES + 1); a < end; a++) {
            int i = a & MASK;
            CompiledBlock b = table[i];
            if (b != null && b.phys < end && b.phys + b.bytes > start) {
                table[i] = null;
                if (++retranslations[i] >= MAX_RETRANSLATIONS) {
                    counts[i] = threshold + 1;
                    retranslations[i] = MAX_RETRANSLATIONS;
                } else {
                    counts[i] = 0;
                }
            }
        }
    }

    /** Forgets every block and counter (the decode cache was cleared). */
    void clear() {
        epoch++;
        java.util.Arrays.fill(table, null);
        java.util.Arrays.fill(counts, 0);
        java.util.Arrays.fill(retranslations, (byte) 0);
    }
}
