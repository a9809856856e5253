package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Internal snapshots of a qcow2 file, as {@code qemu-img snapshot -l/-c/-a/-d} manage them and
 * compatible with it both ways. A snapshot is a copy of the active L1 table that shares every
 * L2 table and cluster with the image: creating one adds a reference to each (and clears the
 * "copied" flags of the active entries, which now share), applying one makes its L1 table the
 * active one, deleting one drops its references (and sets the flags again where a cluster is
 * no longer shared). Disk-only snapshots: no VM state is written.
 *
 * <p>Each change allocates new tables, makes their refcounts durable, then switches the
 * header, then frees what is no longer used, so a crash leaves at worst leaked clusters.
 */
public final class Qcow2Snapshots {

    private static final int SIZE_FIELD = 24;
    private static final int NB_SNAPSHOTS_FIELD = 60;

    private Qcow2Snapshots() {
    }

    /** The snapshots of the qcow2 file at {@code path}, in table order. */
    public static List<Qcow2Snapshot> list(Path path) {
        try (Qcow2File file = Qcow2File.open(path, false)) {
            return Qcow2SnapshotTable.read(file, Qcow2Image.readHeader(file));
        }
    }

    /** Creates snapshot {@code name} of the current state (its ID one above the highest numeric ID); returns it. */
    public static Qcow2Snapshot create(Path path, String name) {
        if (name.isEmpty() || name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 65535) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", "snapshot name must be 1 to 65535 bytes");
        }
        try (Qcow2Edit edit = Qcow2Edit.open(path, "creating a snapshot")) {
            Qcow2Header h = edit.header;
            List<Qcow2Snapshot> snapshots = Qcow2SnapshotTable.read(edit.file, h);
            if (snapshots.stream().anyMatch(s -> s.name().equals(name))) {
                throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": a snapshot named '" + name + "' already exists");
            }
            if (snapshots.size() >= Qcow2SnapshotTable.MAX_SNAPSHOTS) {
                throw ImageFormatException.unsupported(path.toString(), "already " + snapshots.size() + " snapshots, qemu's limit");
            }
            long l1Size = Integer.toUnsignedLong(h.l1Size);
            long[] active = edit.readTable(h.l1TableOffset, l1Size, "L1 table");
            edit.referenceTree(active, +1);
            edit.commitRefcounts();
            Qcow2Check.syncCopiedFlags(edit.file, h, edit.refcounts); // shared now: in-place writes must stop before the snapshot exists
            edit.file.force();
            long[] copy = new long[active.length];
            for (int i = 0; i < active.length; i++) {
                copy[i] = active[i] & ~Qcow2Image.COPIED;
            }
            long l1Offset = edit.append(Qcow2Edit.bytesOf(copy), "snapshot L1 table");
            Instant now = Instant.now();
            Qcow2Snapshot created = new Qcow2Snapshot(nextId(snapshots), name, l1Offset, (int) l1Size, now.getEpochSecond(),
                    now.getNano(), 0, 0, h.size, 0, 24); // icount 0, as qemu-img writes it
            List<Qcow2Snapshot> table = new ArrayList<>(snapshots);
            table.add(created);
            switchTable(edit, snapshots, table);
            return created;
        }
    }

    /** Makes the snapshot with ID or name {@code snapshot} the current state (its size too); the current state is lost. */
    public static void apply(Path path, String snapshot) {
        try (Qcow2Edit edit = Qcow2Edit.open(path, "applying a snapshot")) {
            Qcow2Header h = edit.header;
            Qcow2Snapshot s = find(edit, snapshot);
            long[] target = edit.readTable(s.l1TableOffset(), Integer.toUnsignedLong(s.l1Size()), "snapshot L1 table");
            long oldSize = Integer.toUnsignedLong(h.l1Size);
            long[] old = edit.readTable(h.l1TableOffset, oldSize, "L1 table");
            edit.referenceTree(target, +1);
            edit.commitRefcounts();
            long[] active = new long[(int) Math.max(oldSize, target.length)];
            for (int i = 0; i < target.length; i++) {
                active[i] = target[i] & ~Qcow2Image.COPIED;
            }
            if (active.length > oldSize) {
                long offset = edit.append(Qcow2Edit.bytesOf(active), "L1 table");
                edit.commitRefcounts();
                ByteBuffer fields = ByteBuffer.allocate(24).putLong(0, s.virtualSize()).putInt(8, h.cryptMethod)
                        .putInt(12, active.length).putLong(16, offset);
                edit.writeHeader(SIZE_FIELD, fields, "size, l1_size, l1_table_offset");
                edit.release(h.l1TableOffset, oldSize * 8);
            } else {
                edit.file.writeMetadata(h.l1TableOffset, Qcow2Edit.bytesOf(active), "L1 table");
                edit.file.force();
                edit.writeHeader(SIZE_FIELD, ByteBuffer.allocate(8).putLong(0, s.virtualSize()), "size");
            }
            edit.referenceTree(old, -1);
            edit.commitRefcounts();
            Qcow2Check.syncCopiedFlags(edit.file, Qcow2Image.readHeader(edit.file), edit.refcounts);
            edit.file.force();
        }
    }

    /** Deletes the snapshot with ID or name {@code snapshot}, freeing what only it used. */
    public static void delete(Path path, String snapshot) {
        try (Qcow2Edit edit = Qcow2Edit.open(path, "deleting a snapshot")) {
            Qcow2Header h = edit.header;
            List<Qcow2Snapshot> snapshots = Qcow2SnapshotTable.read(edit.file, h);
            Qcow2Snapshot s = find(edit, snapshot);
            long[] l1 = edit.readTable(s.l1TableOffset(), Integer.toUnsignedLong(s.l1Size()), "snapshot L1 table");
            List<Qcow2Snapshot> table = new ArrayList<>(snapshots);
            table.remove(s);
            switchTable(edit, snapshots, table);
            edit.referenceTree(l1, -1);
            edit.release(s.l1TableOffset(), Integer.toUnsignedLong(s.l1Size()) * 8);
            edit.commitRefcounts();
            Qcow2Check.syncCopiedFlags(edit.file, h, edit.refcounts);
            edit.file.force();
        }
    }

    /** Writes {@code table} at the end of the file, points the header at it, frees the old one. */
    private static void switchTable(Qcow2Edit edit, List<Qcow2Snapshot> old, List<Qcow2Snapshot> table) {
        Qcow2Header h = edit.header;
        long offset = 0;
        if (!table.isEmpty()) {
            byte[] bytes = Qcow2SnapshotTable.encode(table);
            if (bytes.length > Qcow2SnapshotTable.MAX_TABLE_BYTES) {
                throw ImageFormatException.unsupported(edit.file.name(), "the snapshot table would be " + bytes.length
                        + " bytes, more than qemu's limit of " + Qcow2SnapshotTable.MAX_TABLE_BYTES);
            }
            offset = edit.append(ByteBuffer.wrap(bytes), "snapshot table");
        }
        edit.commitRefcounts();
        edit.writeHeader(NB_SNAPSHOTS_FIELD, ByteBuffer.allocate(12).putInt(0, table.size()).putLong(4, offset),
                "nb_snapshots, snapshots_offset");
        if (!old.isEmpty()) {
            edit.release(h.snapshotsOffset, Qcow2SnapshotTable.length(old));
        }
        edit.commitRefcounts();
    }

    private static Qcow2Snapshot find(Qcow2Edit edit, String idOrName) {
        List<Qcow2Snapshot> snapshots = Qcow2SnapshotTable.read(edit.file, edit.header);
        for (Qcow2Snapshot s : snapshots) {
            if (s.id().equals(idOrName)) {
                return s;
            }
        }
        for (Qcow2Snapshot s : snapshots) {
            if (s.name().equals(idOrName)) {
                return s;
            }
        }
        throw new ImageFormatException(Kind.NOT_FOUND, "SnapshotNotFound", edit.file.name() + ": no snapshot with ID or name '"
                + idOrName + "' (" + snapshots.size() + " snapshots)");
    }

    private static String nextId(List<Qcow2Snapshot> snapshots) {
        long max = 0;
        for (Qcow2Snapshot s : snapshots) {
            try {
                max = Math.max(max, Long.parseLong(s.id()));
            } catch (NumberFormatException e) {
                // qemu ignores IDs that are not numbers too
            }
        }
        return Long.toString(max + 1);
    }
}
