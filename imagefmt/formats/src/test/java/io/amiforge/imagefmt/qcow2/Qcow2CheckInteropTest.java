package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Qcow2Check} on qemu-made images that the test damages byte by byte: what it reports
 * agrees with {@code qemu-img check}, and after a repair {@code qemu-img check} finds nothing
 * and the guest content is unchanged.
 */
@Tag("interop")
class Qcow2CheckInteropTest {

    private static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    private Path image;
    private Path raw;

    @BeforeEach
    void image() throws IOException {
        raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 16);
        image = dir.resolve("a.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", raw.toString(), image.toString()).orFail();
    }

    @Test
    void aCleanImageIsCleanWithQemuImgsFigures() {
        Qcow2Check.Result ours = Qcow2Check.check(image, Qcow2Check.Repair.NONE);
        assertThat(ours.clean()).isTrue();
        String qemu = Qemu.img(dir, "check", "--output=json", image.toString()).output();
        assertThat(field(qemu, "allocated-clusters")).isEqualTo(ours.allocatedClusters()).isPositive();
        assertThat(field(qemu, "total-clusters")).isEqualTo(ours.totalClusters());
        assertThat(field(qemu, "fragmented-clusters")).isEqualTo(ours.fragmentedClusters());
        assertThat(field(qemu, "compressed-clusters")).isEqualTo(ours.compressedClusters());
        assertThat(field(qemu, "image-end-offset")).isEqualTo(ours.imageEndOffset());
    }

    @Test
    void aLeakedDataClusterIsFoundAndRepairedWithLeaks() throws IOException {
        long l2 = l2Table();
        poke(l2 + 8 * firstDataEntry(l2), 0); // drop one mapping: its cluster leaks
        Qcow2Check.Result found = Qcow2Check.check(image, Qcow2Check.Repair.NONE);
        assertThat(found.leaks()).isEqualTo(1);
        assertThat(found.corruptions()).isZero();
        assertThat(found.messages()).anyMatch(m -> m.startsWith("Leaked cluster"));
        assertThat(Qemu.img(dir, "check", image.toString()).exitCode()).isEqualTo(3);
        Qcow2Check.Result repaired = Qcow2Check.check(image, Qcow2Check.Repair.LEAKS);
        assertThat(repaired.leaksFixed()).isEqualTo(1);
        assertThat(repaired.clean()).isTrue();
        Qemu.check(image);
    }

    @Test
    void aRefcountTooLowIsACorruptionOnlyAllRepairs() throws IOException {
        long l2 = l2Table();
        long data = readLong(l2 + 8 * firstDataEntry(l2)) & Qcow2Image.OFFSET_MASK;
        setRefcount(data, 0);
        assertThat(Qemu.img(dir, "check", image.toString()).exitCode()).isEqualTo(2);
        Qcow2Check.Result leaksOnly = Qcow2Check.check(image, Qcow2Check.Repair.LEAKS);
        assertThat(leaksOnly.corruptions()).isEqualTo(2); // refcount 0 for 1 reference, and the copied flag then wrong
        assertThat(Qemu.img(dir, "check", image.toString()).exitCode()).isEqualTo(2);
        Qcow2Check.Result all = Qcow2Check.check(image, Qcow2Check.Repair.ALL);
        assertThat(all.corruptionsFixed()).isPositive();
        assertThat(all.clean()).isTrue();
        Qemu.check(image);
        Qemu.compare(image, raw);
    }

    @Test
    void aRefcountTooHighIsALeakAndTheCopiedFlagFollows() throws IOException {
        long l2 = l2Table();
        long data = readLong(l2 + 8 * firstDataEntry(l2)) & Qcow2Image.OFFSET_MASK;
        setRefcount(data, 2);
        Qcow2Check.Result found = Qcow2Check.check(image, Qcow2Check.Repair.NONE);
        assertThat(found.leaks()).isEqualTo(1);
        assertThat(found.corruptions()).isEqualTo(1); // copied flag set on a cluster with refcount 2
        Qcow2Check.Result repaired = Qcow2Check.check(image, Qcow2Check.Repair.LEAKS);
        assertThat(repaired.clean()).isTrue();
        Qemu.check(image);
        Qemu.compare(image, raw);
    }

    @Test
    void aClearedCopiedFlagIsRepairedWithAll() throws IOException {
        long l2 = l2Table();
        long at = l2 + 8 * firstDataEntry(l2);
        poke(at, readLong(at) & ~Qcow2Image.COPIED);
        assertThat(Qcow2Check.check(image, Qcow2Check.Repair.NONE).corruptions()).isEqualTo(1);
        assertThat(Qcow2Check.check(image, Qcow2Check.Repair.ALL).corruptionsFixed()).isEqualTo(1);
        Qemu.check(image);
        Qemu.compare(image, raw);
    }

    @Test
    void aRefcountTablePointingPastTheEndIsRebuiltWithAll() throws IOException {
        long reftable = readLong(48);
        poke(reftable, 0x7fff_0000_0000L);
        Qcow2Check.Result found = Qcow2Check.check(image, Qcow2Check.Repair.NONE);
        assertThat(found.corruptions()).isPositive();
        assertThat(found.messages()).anyMatch(m -> m.contains("refcount table entry 0"));
        Qcow2Check.Result all = Qcow2Check.check(image, Qcow2Check.Repair.ALL);
        assertThat(all.clean()).isTrue();
        assertThat(all.messages()).contains("Rebuilding refcount structure");
        Qemu.check(image);
        Qemu.compare(image, raw);
    }

    @Test
    void whatABrokenL1EntryHidesIsNotFreedAsLeaks() throws IOException {
        long l1 = readLong(40);
        long entry = readLong(l1);
        poke(l1, 0x7fff_0000_0000L | Qcow2Image.COPIED);
        Qcow2Check.Result result = Qcow2Check.check(image, Qcow2Check.Repair.LEAKS);
        assertThat(result.corruptions()).isPositive();
        assertThat(result.leaks()).isPositive(); // the hidden L2 table and its clusters, reported
        assertThat(result.leaksFixed()).isZero(); // and kept: putting the entry back gives a clean image
        poke(l1, entry);
        Qemu.check(image);
        Qemu.compare(image, raw);
    }

    @Test
    void internalSnapshotsQemuMadeAreCountedAndALeakBesideThemRepaired() throws IOException {
        Qemu.img(dir, "snapshot", "-c", "one", image.toString()).orFail();
        Qemu.io(dir, image, "qcow2", "write -P 0x5a 0 1M").orFail();
        Qemu.img(dir, "snapshot", "-c", "two", image.toString()).orFail();
        assertThat(Qcow2Check.check(image, Qcow2Check.Repair.NONE).clean()).isTrue();
        long end = java.nio.file.Files.size(image);
        setRefcount(end - 65536, 5); // the last cluster (a snapshot's table or L1) counted too high
        assertThat(Qcow2Check.check(image, Qcow2Check.Repair.NONE).leaks()).isEqualTo(1);
        assertThat(Qcow2Check.check(image, Qcow2Check.Repair.LEAKS).clean()).isTrue();
        Qemu.check(image);
        Processes.Result list = Qemu.img(dir, "snapshot", "-l", image.toString());
        assertThat(list.output()).contains("one").contains("two");
    }

    /** A number from qemu-img's JSON; qemu-img leaves out the fields that are zero. */
    private static long field(String json, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"" + name + "\": (\\d+)").matcher(json);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    private long l2Table() throws IOException {
        long l1 = readLong(40);
        return readLong(l1) & Qcow2Image.OFFSET_MASK;
    }

    private int firstDataEntry(long l2) throws IOException {
        for (int i = 0; i < 8192; i++) {
            if ((readLong(l2 + 8L * i) & Qcow2Image.OFFSET_MASK) != 0) {
                return i;
            }
        }
        throw new AssertionError("no data cluster in the first L2 table");
    }

    /** Sets the 16-bit refcount of the cluster at {@code offset} (64 KiB clusters, first refcount block). */
    private void setRefcount(long offset, int value) throws IOException {
        long block = readLong(readLong(48));
        try (FileChannel c = FileChannel.open(image, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.allocate(2).putShort(0, (short) value), block + 2 * (offset >>> 16));
        }
    }

    private long readLong(long offset) throws IOException {
        try (FileChannel c = FileChannel.open(image)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            c.read(b, offset);
            return b.getLong(0);
        }
    }

    private void poke(long offset, long value) throws IOException {
        try (FileChannel c = FileChannel.open(image, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.allocate(8).putLong(0, value), offset);
        }
    }
}
