package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.ext.Superblock;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ExtlinuxInstaller} and {@link LdlinuxPatch} against the host's real SYSLINUX: the
 * patch reproduces what {@code syslinux --install} itself wrote, and an ext4 filesystem made
 * by {@code mkfs.ext4 -d} (64bit, extents, metadata_csum: what Debian's mke2fs makes today)
 * boots through EXTLINUX installed without mounting, as on QEMU + SeaBIOS, and stays clean.
 */
@Tag("interop")
class ExtlinuxInstallerTest {

    static SyslinuxCore core;

    @TempDir
    Path tmp;

    @BeforeAll
    static void hostSyslinux() {
        core = ExtlinuxBootChainTest.hostCore();
    }

    @Test
    void patchingWithTheFatInstallsOwnSectorsReproducesWhatSyslinuxWrote() {
        byte[] sys = core.ldlinuxSys();
        LdlinuxPatch.Layout l = LdlinuxPatch.layout(sys);
        ByteBuffer b = ByteBuffer.wrap(sys).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer vbr = ByteBuffer.wrap(core.bootSector()).order(ByteOrder.LITTLE_ENDIAN);
        List<Long> sectors = new ArrayList<>();
        sectors.add((vbr.getInt(l.sect1Low()) & 0xFFFFFFFFL) | (long) vbr.getInt(l.sect1High()) << 32);
        for (int i = 0; i < l.extentCount() && b.getShort(l.extents() + 10 * i + 8) != 0; i++) {
            long lba = b.getLong(l.extents() + 10 * i);
            for (int k = 0; k < b.getShort(l.extents() + 10 * i + 8); k++) {
                sectors.add(lba + k);
            }
        }
        sectors.add(b.getLong(l.advPointers()));
        sectors.add(b.getLong(l.advPointers() + 8));
        assertThat(sectors).hasSize(sys.length / 512);

        LdlinuxPatch.Patched p = LdlinuxPatch.patch(core, sectors.stream().mapToLong(Long::longValue).toArray(), "", 0, 32768);
        assertThat(p.ldlinuxSys()).as("extents, counts, ADV pointers and checksum as syslinux wrote them").isEqualTo(sys);
        assertThat(Arrays.copyOfRange(p.bootSector(), LdlinuxPatch.BPB_END, 512))
                .isEqualTo(Arrays.copyOfRange(core.bootSector(), LdlinuxPatch.BPB_END, 512));
        int sum = 0;
        for (int i = 0; i < l.imageLength(); i += 4) {
            sum += b.getInt(i);
        }
        assertThat(sum).as("the core image's dwords sum to LDLINUX_MAGIC").isEqualTo(LdlinuxPatch.MAGIC);
    }

    /** A disk with an MBR (partition 1 active at LBA 2048) holding an ext4 made by {@code mkfs.ext4 -b blockSize -d} with the loader's files. */
    Path mkfsExt4Disk(int blockSize) throws Exception {
        Interop.tool("mkfs.ext4");
        Interop.tool("sfdisk");
        Path tree = tmp.resolve("tree");
        Files.createDirectories(tree.resolve("boot/extlinux"));
        Files.write(tree.resolve("boot/extlinux/ldlinux.sys"), core.ldlinuxSys());
        Files.write(tree.resolve("boot/extlinux/ldlinux.c32"), core.ldlinuxC32());
        Files.writeString(tree.resolve("boot/extlinux/extlinux.conf"), """
                SERIAL 0 115200
                DEFAULT linux
                PROMPT 0
                TIMEOUT 1
                LABEL linux
                  KERNEL /boot/vmlinuz
                  INITRD /boot/initrd.img
                  APPEND console=ttyS0 root=/dev/sda1 from=ext4
                """, StandardCharsets.US_ASCII);
        Files.write(tree.resolve("boot/vmlinuz"), TinyKernel.bzImage());
        byte[] initrd = new byte[12_345];
        Arrays.fill(initrd, (byte) 0x5A); // not zeros: mke2fs -d leaves zero blocks unallocated, and SYSLINUX 6.04 cannot read a hole
        Files.write(tree.resolve("boot/initrd.img"), initrd);
        long fsSectors = 32 * 2048;
        Path fs = tmp.resolve("root.ext4");
        Processes.run(List.of(Interop.tool("mkfs.ext4").toString(), "-q", "-F", "-b", Integer.toString(blockSize), "-L", "root",
                "-d", tree.toString(), fs.toString(), (fsSectors / 2) + "k")).orFail();
        Path img = tmp.resolve("ext4-" + blockSize + ".img");
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength((2048 + fsSectors + 2048) * 512);
            f.seek(2048 * 512);
            f.write(Files.readAllBytes(fs));
        }
        Path script = tmp.resolve("table.sfdisk");
        Files.writeString(script, "label: dos\nlabel-id: 0x5157e004\nstart=2048, size=" + fsSectors + ", type=83, bootable\n");
        Processes.command(Interop.tool("sfdisk").toString(), "--no-reread", "--no-tell-kernel", img.toString()).input(script).run()
                .orFail();
        return img;
    }

    @Test
    void extlinuxOnAnMkfsExt4FilesystemBootsAsOnQemu() throws Exception {
        Path img = mkfsExt4Disk(4096);
        try (FileBlockDevice disk = FileBlockDevice.open(img, false)) {
            Partition root = PartitionTable.read(disk).partitions().getFirst();
            Superblock sb = ExtFileSystem.open(PartitionTable.open(disk, root)).superblock();
            assertThat(sb.kind()).isEqualTo("ext4");
            assertThat(sb.hasIncompat(Superblock.INCOMPAT_64BIT) && sb.hasIncompat(Superblock.INCOMPAT_EXTENTS)).isTrue();
            ExtlinuxInstaller.install(disk, root, "/boot/extlinux", core);
            SyslinuxMbr.write(disk, SyslinuxMbr.read("this test"));
            disk.flush();
            ExtlinuxBootChainTest.assertCleanFilesystem(disk, root, tmp.resolve("after.ext4"));
            byte[] installed = ExtFileSystem.open(PartitionTable.open(disk, root)).readAll("/boot/extlinux/ldlinux.sys", 1 << 20);
            assertThat(installed).hasSize(core.ldlinuxSys().length).isNotEqualTo(core.ldlinuxSys());
            BootReport r = ExtlinuxBootChainTest.boot(disk);
            assertThat(r.result()).as(r.error() + "\n" + r.screen()).isEqualTo(BootReport.Result.HALTED);
            assertThat(r.console()).contains("Loading /boot/vmlinuz... ok", "Loading /boot/initrd.img...ok",
                    "command line: \"BOOT_IMAGE=/boot/vmlinuz console=ttyS0 root=/dev/sda1 from=ext4 initrd=/boot/initrd.img\"");
            ExtlinuxBootChainTest.assertSameSerialAsQemu(r.console(), QemuSerial.boot(img, tmp.resolve("qemu-serial.txt")));
        }
    }

    @Test
    void aHoleInLdlinuxSysIsRefusedBeforeAnythingIsWritten() throws Exception {
        // with 1 KiB blocks, ldlinux.sys 6.04's second block is all zeros and mke2fs -d leaves it unallocated
        Path img = mkfsExt4Disk(1024);
        byte[] before = Files.readAllBytes(img);
        try (FileBlockDevice disk = FileBlockDevice.open(img, false)) {
            Partition root = PartitionTable.read(disk).partitions().getFirst();
            assertThatThrownBy(() -> ExtlinuxInstaller.install(disk, root, "/boot/extlinux", core)).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("/boot/extlinux/ldlinux.sys has a hole at block");
        }
        assertThat(Files.readAllBytes(img)).isEqualTo(before);
    }

    @Test
    void badInputIsRefusedWithWhatIsWrong() {
        long[] tooFew = new long[3];
        assertThatThrownBy(() -> LdlinuxPatch.patch(core, tooFew, "/", 2048, 1 << 20)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("ldlinux.sys has " + core.ldlinuxSys().length / 512 + " sectors but 3 sector numbers were given");
        long[] outside = new long[core.ldlinuxSys().length / 512];
        Arrays.fill(outside, 5000);
        assertThatThrownBy(() -> LdlinuxPatch.patch(core, outside, "/", 2048, 4096)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("outside the filesystem (4096 sectors)");
        long[] scattered = new long[outside.length];
        for (int i = 0; i < scattered.length; i++) {
            scattered[i] = 10 + 2L * i;
        }
        LdlinuxPatch.Layout l = LdlinuxPatch.layout(core.ldlinuxSys());
        if (scattered.length - 3 > l.extentCount()) {
            assertThatThrownBy(() -> LdlinuxPatch.patch(core, scattered, "/", 2048, 1 << 20)).hasMessageContaining("extents");
        } else {
            assertThat(LdlinuxPatch.patch(core, scattered, "/", 2048, 1 << 20).ldlinuxSys()).hasSameSizeAs(core.ldlinuxSys());
        }
        long[] fine = new long[outside.length];
        Arrays.setAll(fine, i -> 100 + i);
        assertThatThrownBy(() -> LdlinuxPatch.patch(core, fine, "/" + "d".repeat(l.dirLength()), 2048, 1 << 20))
                .hasMessageContaining("does not fit ldlinux.sys's " + l.dirLength() + "-byte directory field");
        byte[] truncated = Arrays.copyOf(core.ldlinuxSys(), core.ldlinuxSys().length - 512);
        assertThatThrownBy(() -> new SyslinuxCore(truncated, core.ldlinuxC32(), core.bootSector())).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("does not end in two ADV sectors");
    }
}
