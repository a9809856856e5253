package io.amiforge.store.strategy;

import io.amiforge.store.spi.Location;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongBinaryOperator;

/**
 * A map from block number to a non-zero {@code long} value and an {@code int} tag, by open
 * addressing with linear probing: memory follows the entries (20 bytes a slot, at most twice as
 * many slots as entries once grown past 16, so 20-40 bytes an entry), not the span of block
 * numbers they cover. Blocks are hashed in groups of eight consecutive numbers, so that
 * neighbouring blocks share a cache line. Entries are never removed. At most 3 * 2^28 entries
 * (805,306,368: 2^30 slots at 3/4 load).
 *
 * <p>One writer at a time; readers may race with it and see the old or the new value of an
 * entry. The table a reader probes is never changed in a way that hides a present entry: a new
 * entry's key is published (release) after its value and tag, and growing builds a new table and
 * publishes it whole. A racing reader may see the value of one write with the tag of another; a
 * caller that cannot accept that checks what it read (the store checks the block's checksum).
 */
public final class BlockMap {

    private static final VarHandle KEYS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int MIN_CAPACITY = 16;
    /** Where the next table's salt comes from (a Weyl sequence: distinct, well spread). */
    private static final AtomicLong SALTS = new AtomicLong(0x2545_F491_4F6C_DD1DL);
    private static final int GROUP_SHIFT = 3;
    private static final long SLOT_BYTES = 8 + 8 + 4;

    /**
     * One immutable-size table; keys hold block + 1 (0: empty slot). Each table hashes with its
     * own {@code salt}: copying one table into another in slot order (a flat index built from a
     * layer's table) would otherwise insert in the target's hash order and pile every key of a
     * region into the same probe run while the target is smaller (quadratic: 262,144 blocks took
     * seconds to index).
     */
    private record Table(long[] keys, long[] values, int[] tags, int mask, int shift, long salt) {
        static Table of(int capacity) {
            int groups = capacity >>> GROUP_SHIFT;
            return new Table(new long[capacity], new long[capacity], new int[capacity], capacity - 1,
                    64 - Integer.numberOfTrailingZeros(groups), SALTS.getAndAdd(0x9E37_79B9_7F4A_7C15L));
        }

        /** The first slot to probe for {@code block}: its group (hashed) and its place in the group. */
        int home(long block) {
            long x = (block >>> GROUP_SHIFT) ^ salt; // the murmur3 finalizer: block numbers are often strided
            x = (x ^ (x >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
            x = (x ^ (x >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
            long group = (x ^ (x >>> 33)) >>> shift;
            return (int) ((group << GROUP_SHIFT) | (block & ((1 << GROUP_SHIFT) - 1)));
        }

        /** The slot holding {@code block}, or -1. */
        int slotOf(long block) {
            long key = block + 1;
            for (int i = home(block); ; i = (i + 1) & mask) {
                long k = (long) KEYS.getAcquire(keys, i);
                if (k == key) {
                    return i;
                }
                if (k == 0) {
                    return -1;
                }
            }
        }
    }

    private volatile Table table = Table.of(MIN_CAPACITY);
    private long count;
    /** The keys in ascending order as of the last {@link #nextPresent} (rebuilt when {@link #count} moved). */
    private volatile long[] sorted = new long[0];

    /** An empty map (a few hundred bytes). */
    public BlockMap() {
    }

    /** The value of {@code block}, 0 if absent. */
    public long get(long block) {
        Table t = table;
        int i = t.slotOf(block);
        return i < 0 ? 0 : t.values[i];
    }

    /** The tag of {@code block}, {@code absent} if the block is absent. */
    public int tag(long block, int absent) {
        Table t = table;
        int i = t.slotOf(block);
        return i < 0 ? absent : t.tags[i];
    }

    /** One probe for both: {@code into} gets {@code (tag, value)} of {@code block}, or {@code (-1, 0)}. Allocates nothing. */
    public void lookup(long block, Location into) {
        Table t = table;
        int i = t.slotOf(block);
        if (i < 0) {
            into.set(-1, 0);
        } else {
            into.set(t.tags[i], t.values[i]);
        }
    }

    /** Sets {@code block} to a non-zero {@code value} with {@code tag} (writer only); returns the previous value or 0. */
    public long put(long block, long value, int tag) {
        if (value == 0) {
            throw new IllegalArgumentException("block " + block + ": a value of 0 means absent");
        }
        Table t = table;
        long key = block + 1;
        int j = t.home(block);
        for (long k = t.keys[j]; k != 0; k = t.keys[j]) { // the writer's own table: plain reads
            if (k == key) {
                long old = t.values[j];
                t.values[j] = value;
                t.tags[j] = tag;
                return old;
            }
            j = (j + 1) & t.mask;
        }
        if ((count + 1) * 4 > (long) t.keys.length * 3) {
            t = grow(t);
            j = t.home(block);
            while (t.keys[j] != 0) {
                j = (j + 1) & t.mask;
            }
        }
        t.values[j] = value;
        t.tags[j] = tag;
        KEYS.setRelease(t.keys, j, key);
        count++;
        return 0;
    }

    /**
     * Sets the value of {@code block} to a non-zero {@code value} if the block is present with
     * {@code tag} (writer only; one probe); returns whether it was.
     */
    public boolean replaceTagged(long block, int tag, long value) {
        if (value == 0) {
            throw new IllegalArgumentException("block " + block + ": a value of 0 means absent");
        }
        Table t = table;
        int i = t.slotOf(block);
        if (i < 0 || t.tags[i] != tag) {
            return false;
        }
        t.values[i] = value;
        return true;
    }

    /** Changes the tag of a present {@code block} (writer only); returns false if the block is absent. */
    public boolean retag(long block, int tag) {
        Table t = table;
        int i = t.slotOf(block);
        if (i < 0) {
            return false;
        }
        t.tags[i] = tag;
        return true;
    }

    private Table grow(Table old) {
        if (old.keys.length >= 1 << 30) {
            throw new IllegalStateException("block map full: " + count + " entries, the most one table holds"
                    + " (2^30 slots at 3/4 load)");
        }
        Table t = Table.of(old.keys.length << 1);
        for (int i = 0; i < old.keys.length; i++) {
            long key = old.keys[i];
            if (key != 0) {
                int j = t.home(key - 1);
                while (t.keys[j] != 0) {
                    j = (j + 1) & t.mask;
                }
                t.keys[j] = key;
                t.values[j] = old.values[i];
                t.tags[j] = old.tags[i];
            }
        }
        table = t; // volatile: publishes the whole table
        return t;
    }

    /** Number of entries (exact for the writer; a recent count for anyone else). */
    public long count() {
        return count;
    }

    /** The bytes of memory the table takes (its three arrays). */
    public long allocatedBytes() {
        return table.keys.length * SLOT_BYTES;
    }

    /**
     * Calls {@code action(block, value)} for every entry in ascending block order (sorts a copy of
     * the keys first, so the action may change values and tags, and add entries it will not see).
     */
    public void forEach(LongBinaryOperator action) {
        for (long block : sortedBlocks()) {
            action.applyAsLong(block, get(block));
        }
    }

    /**
     * The first block at or after {@code from} that the map holds, or -1. Entries are never
     * removed, so a sorted copy of the keys stays right until one is added; it is kept and
     * rebuilt only then, and a walk from hole to hole costs a binary search per step.
     */
    public long nextPresent(long from) {
        long[] blocks = sorted;
        if (blocks.length != count) {
            blocks = sortedBlocks();
            sorted = blocks;
        }
        int i = Arrays.binarySearch(blocks, Math.max(0, from));
        if (i < 0) {
            i = -i - 1;
        }
        return i < blocks.length ? blocks[i] : -1;
    }

    private long[] sortedBlocks() {
        Table t = table;
        long[] blocks = new long[(int) count];
        int n = 0;
        for (long key : t.keys) {
            if (key != 0 && n < blocks.length) {
                blocks[n++] = key - 1;
            }
        }
        Arrays.sort(blocks, 0, n);
        return n == blocks.length ? blocks : Arrays.copyOf(blocks, n);
    }

    /** Calls {@code action(block, value, tag)} for every entry, in no order (no copy, no sort); the action must not add entries. */
    public void forEachUnordered(EntryAction action) {
        Table t = table;
        for (int i = 0; i < t.keys.length; i++) {
            long key = t.keys[i];
            if (key != 0) {
                action.accept(key - 1, t.values[i], t.tags[i]);
            }
        }
    }

    /** Receives one entry of {@link #forEachUnordered}. */
    @FunctionalInterface
    public interface EntryAction {
        /** {@code block} has {@code value} and {@code tag}. */
        void accept(long block, long value, int tag);
    }
}
