package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks one qcow2 file's refcounts against the references its metadata makes, as
 * {@code qemu-img check} does, and repairs what it finds when asked ({@code -r leaks|all}).
 *
 * <ul>
 *   <li>A refcount higher than the references is a <em>leak</em> (wasted space, no harm);
 *       {@link Repair#LEAKS} and {@link Repair#ALL} lower it.</li>
 *   <li>A refcount lower than the references, a reference that cannot be counted, and a
 *       "copied" flag (bit 63 of active L1/L2 entries) that disagrees with a refcount of 1 are
 *       <em>corruptions</em>; {@link Repair#ALL} raises the refcount and sets the flags right.
 *       When the refcount structures themselves are unusable, {@link Repair#ALL} writes new
 *       ones after the end of the file ({@link Qcow2RefcountRebuild}).</li>
 * </ul>
 * After a repair the image is checked again and that second result is reported (with the
 * counts of what was fixed), so a clean result means the file is consistent now. Refcount
 * blocks are written, synced, then the header; L1/L2 flag fixes last, then synced again.
 * Images with bitmaps or encryption metadata are refused as unsupported.
 */
public final class Qcow2Check {

    /** What to repair, as {@code qemu-img check -r}. */
    public enum Repair {
        /** Only report. */
        NONE,
        /** Lower refcounts that are too high. */
        LEAKS,
        /** Leaks and corruptions. */
        ALL
    }

    /**
     * The outcome, with {@code qemu-img check}'s figures (its JSON names in brackets).
     *
     * @param corruptions inconsistencies left that can harm data ("corruptions")
     * @param leaks clusters left with a refcount above their references ("leaks")
     * @param corruptionsFixed corruptions repaired ("corruptions-fixed")
     * @param leaksFixed leaks repaired ("leaks-fixed")
     * @param totalClusters guest clusters of the virtual size ("total-clusters")
     * @param allocatedClusters guest clusters the active image stores ("allocated-clusters")
     * @param fragmentedClusters of those, the ones not right after the previous one ("fragmented-clusters")
     * @param compressedClusters compressed clusters ("compressed-clusters")
     * @param imageEndOffset end of the last cluster in use ("image-end-offset")
     * @param messages one line per finding, as qemu-img prints them to stderr
     */
    public record Result(long corruptions, long leaks, long corruptionsFixed, long leaksFixed, long totalClusters,
            long allocatedClusters, long fragmentedClusters, long compressedClusters, long imageEndOffset, List<String> messages) {

        /** Whether nothing is left to report. */
        public boolean clean() {
            return corruptions == 0 && leaks == 0;
        }
    }

    private static final int REFCOUNT_TABLE_OFFSET = 48;
    private static final int INCOMPATIBLE_FEATURES = 72;

    private final Qcow2File file;
    private final List<String> messages = new ArrayList<>();
    private long corruptions;
    private long leaks;
    private long corruptionsFixed;
    private long leaksFixed;

    private Qcow2Check(Qcow2File file) {
        this.file = file;
    }

    /** Checks (and with {@code repair} other than NONE, repairs) the qcow2 file at {@code path}. */
    public static Result check(Path path, Repair repair) {
        try (Qcow2File file = Qcow2File.open(path, repair != Repair.NONE)) {
            Result first = new Qcow2Check(file).run(repair);
            if (repair == Repair.NONE || first.corruptionsFixed() + first.leaksFixed() == 0) {
                return first;
            }
            Result again = new Qcow2Check(file).run(Repair.NONE);
            if (repair == Repair.ALL && again.clean()) {
                clearCorruptBit(file);
            }
            List<String> all = new ArrayList<>(first.messages());
            all.addAll(again.messages());
            return new Result(again.corruptions(), again.leaks(), first.corruptionsFixed(), first.leaksFixed(), again.totalClusters(),
                    again.allocatedClusters(), again.fragmentedClusters(), again.compressedClusters(), again.imageEndOffset(), List.copyOf(all));
        }
    }

    private static void clearCorruptBit(Qcow2File file) {
        Qcow2Header h = Qcow2Image.readHeader(file);
        if (h.version >= 3 && (h.corrupt() || h.dirty())) {
            long bits = h.incompatibleFeatures & ~(Qcow2Header.INCOMPAT_CORRUPT | Qcow2Header.INCOMPAT_DIRTY);
            file.writeMetadata(INCOMPATIBLE_FEATURES, ByteBuffer.allocate(8).putLong(0, bits), "header incompatible_features");
            file.force();
        }
    }

    private Result run(Repair repair) {
        Qcow2Header h = Qcow2Image.readHeader(file);
        List<Qcow2Snapshot> snapshots = Qcow2SnapshotTable.read(file, h);
        Qcow2References refs = Qcow2References.count(file, h, snapshots, true);
        long total = h.size == 0 ? 0 : ((h.size & ~511L) + h.clusterSize() - 1) >>> h.clusterBits;
        for (String error : refs.errors) {
            messages.add(error);
            corruptions++;
        }
        Qcow2Refcounts refcounts = new Qcow2Refcounts(file, h, file.size(), offset -> { });
        long highest = -1;
        boolean rebuild = refs.broken() && repair == Repair.ALL;
        if (!rebuild) {
            try {
                // with references that could not be counted, clusters only they reach would look leaked: report, never free them
                highest = compare(h, refs, refcounts, refs.broken() ? Repair.NONE : repair);
            } catch (ImageFormatException e) {
                messages.add("ERROR " + e.getMessage());
                corruptions++;
                rebuild = repair == Repair.ALL;
            }
        }
        if (rebuild) {
            Qcow2References fresh = Qcow2References.count(file, h, snapshots, false);
            if (fresh.broken()) {
                messages.add("ERROR cannot rebuild the refcount structures: " + fresh.errors.getFirst());
            } else {
                messages.add("Rebuilding refcount structure");
                Qcow2RefcountRebuild.write(file, h, fresh.counts);
                corruptionsFixed += corruptions;
                corruptions = 0;
                h = Qcow2Image.readHeader(file);
                refcounts = new Qcow2Refcounts(file, h, file.size(), offset -> { });
            }
        } else if (refcounts.dirty()) {
            refcounts.writeDirty();
            file.force();
            if (refcounts.tableOffset != h.refcountTableOffset || refcounts.tableClusters != h.refcountTableClusters) {
                ByteBuffer fields = ByteBuffer.allocate(12).putLong(0, refcounts.tableOffset).putInt(8, refcounts.tableClusters);
                file.writeMetadata(REFCOUNT_TABLE_OFFSET, fields, "header refcount_table_offset");
                file.force();
            }
        }
        if (!refs.broken()) {
            copiedFlags(h, refcounts, repair == Repair.ALL);
        }
        long end = highest < 0 ? 0 : (highest + 1) << h.clusterBits;
        return new Result(corruptions, leaks, corruptionsFixed, leaksFixed, total, refs.allocatedClusters, refs.fragmentedClusters,
                refs.compressedClusters, end, List.copyOf(messages));
    }

    /** Compares every cluster's refcount with its references, fixing what {@code repair} allows; returns the highest cluster in use. */
    private long compare(Qcow2Header h, Qcow2References refs, Qcow2Refcounts refcounts, Repair repair) {
        long highest = -1;
        int[] counts = refs.counts;
        for (int c = 0; c < counts.length; c++) {
            long stored = refcounts.get(c);
            long wanted = counts[c];
            if (stored > 0 || wanted > 0) {
                highest = c;
            }
            if (stored == wanted) {
                continue;
            }
            boolean leak = stored > wanted;
            boolean fix = leak ? repair != Repair.NONE : repair == Repair.ALL;
            messages.add("%s cluster %d refcount=%d reference=%d".formatted(fix ? "Repairing" : leak ? "Leaked" : "ERROR", c, stored, wanted));
            if (fix) {
                refcounts.set(c, wanted);
                if (leak) {
                    leaksFixed++;
                } else {
                    corruptionsFixed++;
                }
            } else if (leak) {
                leaks++;
            } else {
                corruptions++;
            }
        }
        return highest;
    }

    /** Sets bit 63 of the active L1 and L2 entries from {@code refcounts} (after a snapshot operation); returns the entries changed. */
    static long syncCopiedFlags(Qcow2File file, Qcow2Header h, Qcow2Refcounts refcounts) {
        Qcow2Check check = new Qcow2Check(file);
        check.copiedFlags(h, refcounts, true);
        return check.corruptionsFixed;
    }

    /** Checks bit 63 of the active L1 and L2 entries: set exactly when the cluster's refcount is 1. */
    private void copiedFlags(Qcow2Header h, Qcow2Refcounts refcounts, boolean fix) {
        int l1Size = h.l1Size;
        if (l1Size == 0) {
            return;
        }
        int cs = h.clusterSize();
        int bits = h.clusterBits;
        ByteBuffer l1 = file.readMetadata(h.l1TableOffset, l1Size * 8, "L1 table");
        boolean l1Changed = false;
        int step = h.extendedL2() ? 16 : 8;
        for (int i = 0; i < l1Size; i++) {
            long entry = l1.getLong(i * 8);
            long l2Offset = entry & Qcow2Image.OFFSET_MASK;
            if (l2Offset == 0) {
                continue;
            }
            long refcount = refcounts.get(l2Offset >>> bits);
            if (((entry & Qcow2Image.COPIED) != 0) != (refcount == 1)) {
                l1Changed |= flag(fix, "ERROR OFLAG_COPIED L2 cluster: l1_index=%d l1_entry=%x refcount=%d".formatted(i, entry, refcount));
                l1.putLong(i * 8, refcount == 1 ? entry | Qcow2Image.COPIED : entry & ~Qcow2Image.COPIED);
            }
            ByteBuffer l2 = file.readMetadata(l2Offset, cs, "L2 table");
            boolean l2Changed = false;
            for (int j = 0; j < cs; j += step) {
                long e = l2.getLong(j);
                long offset = e & Qcow2Image.OFFSET_MASK;
                if ((e & Qcow2Image.COMPRESSED) != 0 || offset == 0 || (offset & (cs - 1)) != 0 || h.hasDataFile()) {
                    continue;
                }
                long rc = refcounts.get(offset >>> bits);
                if (((e & Qcow2Image.COPIED) != 0) != (rc == 1)) {
                    l2Changed |= flag(fix, "ERROR OFLAG_COPIED data cluster: l2_entry=%x refcount=%d".formatted(e, rc));
                    l2.putLong(j, rc == 1 ? e | Qcow2Image.COPIED : e & ~Qcow2Image.COPIED);
                }
            }
            if (l2Changed) {
                file.writeMetadata(l2Offset, l2.rewind(), "L2 table");
            }
        }
        if (l1Changed) {
            file.writeMetadata(h.l1TableOffset, l1.rewind(), "L1 table");
        }
        if (fix) {
            file.force();
        }
    }

    private boolean flag(boolean fix, String message) {
        messages.add(fix ? message.replaceFirst("^ERROR", "Repairing") : message);
        if (fix) {
            corruptionsFixed++;
        } else {
            corruptions++;
        }
        return fix;
    }
}
