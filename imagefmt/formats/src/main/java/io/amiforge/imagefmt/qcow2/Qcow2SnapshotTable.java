package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the snapshot table of a qcow2 file: {@code nb_snapshots} entries from
 * {@code snapshots_offset}, each 8-byte aligned (40 fixed bytes, extra data, ID, name). Every
 * length and offset read is checked against the file size; errors name the entry and its offset.
 */
final class Qcow2SnapshotTable {

    /** qemu's limit on the number of snapshots. */
    static final int MAX_SNAPSHOTS = 65536;
    /** qemu's limit on the table's size. */
    static final long MAX_TABLE_BYTES = 64L << 20;
    private static final int FIXED = 40;

    private Qcow2SnapshotTable() {
    }

    static List<Qcow2Snapshot> read(Qcow2File file, Qcow2Header h) {
        long count = Integer.toUnsignedLong(h.nbSnapshots);
        if (count == 0) {
            return List.of();
        }
        if (count > MAX_SNAPSHOTS) {
            throw ImageFormatException.field(file.name(), "nb_snapshots", 60, count + ", more than qemu's limit of " + MAX_SNAPSHOTS);
        }
        long limit = Math.min(file.size() - h.snapshotsOffset, MAX_TABLE_BYTES);
        ByteBuffer b = file.readMetadata(h.snapshotsOffset, (int) limit, "snapshot table");
        List<Qcow2Snapshot> snapshots = new ArrayList<>();
        int pos = 0;
        for (int i = 0; i < count; i++) {
            long at = h.snapshotsOffset + pos;
            if (pos + FIXED > b.limit()) {
                throw ImageFormatException.corrupt(file.name(), "snapshot table entry %d (file offset 0x%x) runs past the end of the file"
                        .formatted(i, at));
            }
            long l1Offset = b.getLong(pos);
            int l1Size = b.getInt(pos + 8);
            int idSize = b.getShort(pos + 12) & 0xffff;
            int nameSize = b.getShort(pos + 14) & 0xffff;
            long dateSec = Integer.toUnsignedLong(b.getInt(pos + 16));
            long dateNsec = Integer.toUnsignedLong(b.getInt(pos + 20));
            long vmClock = b.getLong(pos + 24);
            long vmState = Integer.toUnsignedLong(b.getInt(pos + 32));
            long extra = Integer.toUnsignedLong(b.getInt(pos + 36));
            long end = (long) pos + FIXED + extra + idSize + nameSize;
            if (extra > 1024 || end > b.limit()) {
                throw ImageFormatException.corrupt(file.name(), "snapshot table entry %d (file offset 0x%x): extra data (%d bytes), ID (%d) and name (%d) "
                        + "run past the end of the file"
                        .formatted(i, at, extra, idSize, nameSize));
            }
            int cs = h.clusterSize();
            if ((l1Offset & (cs - 1)) != 0 || l1Offset <= 0 || Integer.toUnsignedLong(l1Size) * 8 > Qcow2Header.MAX_L1_BYTES
                    || l1Offset > file.size() - Integer.toUnsignedLong(l1Size) * 8) {
                throw ImageFormatException.corrupt(file.name(), "snapshot table entry %d (file offset 0x%x): L1 table at 0x%x (%d entries) "
                        + "is not a cluster-aligned table inside the file (size 0x%x)"
                        .formatted(i, at, l1Offset, Integer.toUnsignedLong(l1Size), file.size()));
            }
            int e = pos + FIXED;
            if (extra >= 8) {
                vmState = b.getLong(e);
            }
            long size = extra >= 16 ? b.getLong(e + 8) : h.size;
            long icount = extra >= 24 ? b.getLong(e + 16) : -1;
            int idAt = (int) (e + extra);
            String id = new String(b.array(), idAt, idSize, StandardCharsets.UTF_8);
            String name = new String(b.array(), idAt + idSize, nameSize, StandardCharsets.UTF_8);
            snapshots.add(new Qcow2Snapshot(id, name, l1Offset, l1Size, dateSec, dateNsec, vmClock, vmState, size, icount, (int) extra));
            pos = (int) ((end + 7) & ~7L);
        }
        return List.copyOf(snapshots);
    }

    /** Bytes the table of {@code snapshots} takes in the file, as read (each entry's own extra data size). */
    static long length(List<Qcow2Snapshot> snapshots) {
        long total = 0;
        for (Qcow2Snapshot s : snapshots) {
            long entry = FIXED + s.extraDataSize() + s.id().getBytes(StandardCharsets.UTF_8).length
                    + s.name().getBytes(StandardCharsets.UTF_8).length;
            total += (entry + 7) & ~7L;
        }
        return total;
    }

    /** The table's bytes (entries 8-byte aligned, extra data 24 bytes as qemu writes it). */
    static byte[] encode(List<Qcow2Snapshot> snapshots) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Qcow2Snapshot s : snapshots) {
            byte[] id = s.id().getBytes(StandardCharsets.UTF_8);
            byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
            int extra = 24;
            int length = FIXED + extra + id.length + name.length;
            ByteBuffer b = ByteBuffer.allocate((length + 7) & ~7);
            b.putLong(s.l1TableOffset()).putInt(s.l1Size()).putShort((short) id.length).putShort((short) name.length)
                    .putInt((int) s.dateSeconds()).putInt((int) s.dateNanos()).putLong(s.vmClockNanos())
                    .putInt((int) Math.min(s.vmStateSize(), 0xffff_ffffL)).putInt(extra)
                    .putLong(s.vmStateSize()).putLong(s.virtualSize()).putLong(s.icount())
                    .put(id).put(name);
            out.writeBytes(b.array());
        }
        return out.toByteArray();
    }
}
