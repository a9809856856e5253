package io.amiforge.imagefmt.qcow2;

/**
 * One internal snapshot of a qcow2 image, as its snapshot table entry says
 * (docs/interop/qcow2.txt, "Snapshots"): where its L1 table is, its ID and name, when it was
 * taken, the guest size it had, and the extra data qemu keeps (VM state sizes, instruction
 * count) that amiforge preserves but never produces.
 *
 * @param id the unique ID string ("1", "2", ...)
 * @param name the name given when it was created
 * @param l1TableOffset file offset of the snapshot's L1 table
 * @param l1Size entries in that table
 * @param dateSeconds creation time, seconds since the epoch
 * @param dateNanos creation time, nanoseconds part
 * @param vmClockNanos guest clock when taken (0 for disk-only snapshots)
 * @param vmStateSize VM state bytes (0 for disk-only snapshots)
 * @param virtualSize guest size when taken (from the extra data; the image's size when absent)
 * @param icount guest instruction count, or -1 when not recorded
 * @param extraDataSize bytes of extra data in the entry (16 or 24 when amiforge writes it)
 */
public record Qcow2Snapshot(String id, String name, long l1TableOffset, int l1Size, long dateSeconds, long dateNanos,
        long vmClockNanos, long vmStateSize, long virtualSize, long icount, int extraDataSize) {
}
