package io.amiforge.imagefmt.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Tag("interop")
class ImageBuilderTest {

    @TempDir
    Path dir;

    private static byte[] random(int size, int seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A stand-in for the HVM loader: records what it was given and writes a marker. */
    static final class Recorder implements BootCodeInstaller {
        long lba;
        BootPayload payload;

        @Override
        public int loaderSectors() {
            return 8;
        }

        @Override
        public void install(BlockDevice disk, long loaderLba, BootPayload p) {
            lba = loaderLba;
            payload = p;
            disk.write(0, MemorySegment.ofArray(new byte[] {(byte) 0xEB, 0x63}));
            disk.write(loaderLba * 512, MemorySegment.ofArray("LOADER".getBytes()));
        }
    }

    private Path rootDir() throws Exception {
        Path root = Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/hostname"), "amiforge\n");
        Files.write(root.resolve("etc/blob"), random(300_000, 5));
        return root;
    }

    private static byte[] readExtents(Path image, List<BootPayload.Extent> extents, long size) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            for (BootPayload.Extent e : extents) {
                byte[] b = new byte[(int) (e.sectors() * 512)];
                f.seek(e.lba() * 512);
                f.readFully(b);
                out.write(b);
            }
        }
        return java.util.Arrays.copyOf(out.toByteArray(), (int) size);
    }

    @ParameterizedTest
    @EnumSource(value = ImageBuilder.PartitionScheme.class, names = {"MBR", "GPT"})
    void hvmImage(ImageBuilder.PartitionScheme scheme) throws Exception {
        byte[] kernel = random(2_500_000, 1);
        byte[] initrd = random(700_000, 2);
        Recorder loader = new Recorder();
        Path image = dir.resolve("hvm.img");
        ImageBuilder.Result r = ImageBuilder.from(rootDir()).partition(scheme).boot(ImageBuilder.BootMode.HVM)
                .kernel(kernel).initrd(initrd).cmdline("console=ttyS0 quiet").bootCode(loader).sourceDateEpoch(1_600_000_000L)
                .buildRaw(image, 64L << 20);
        assertThat(loader.lba).isEqualTo(scheme == ImageBuilder.PartitionScheme.MBR ? 1 : 34);
        assertThat(loader.payload.kernel()).hasSize(1);
        assertThat(loader.payload.kernelSize()).isEqualTo(kernel.length);
        assertThat(loader.payload.cmdline()).isEqualTo("console=ttyS0 quiet");
        assertThat(readExtents(image, loader.payload.kernel(), kernel.length)).isEqualTo(kernel);
        assertThat(readExtents(image, loader.payload.initrd(), initrd.length)).isEqualTo(initrd);
        assertThat(r.fsStartLba()).isEqualTo(2048);

        String out = Processes.run(List.of(Interop.tool("sfdisk").toString(), "--json", image.toString())).orFail().output();
        JsonNode part = new ObjectMapper().readTree(out.substring(out.indexOf('{'))).get("partitiontable").get("partitions").get(0);
        assertThat(part.get("start").asLong()).isEqualTo(2048);
        if (scheme == ImageBuilder.PartitionScheme.MBR) {
            assertThat(part.get("bootable").asBoolean()).isTrue();
        }
        // the partition alone passes e2fsck
        Path fsImage = dir.resolve("fs.img");
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r"); RandomAccessFile g = new RandomAccessFile(fsImage.toFile(), "rw")) {
            byte[] b = new byte[(int) (r.fsSectors() * 512)];
            f.seek(2048 * 512);
            f.readFully(b);
            g.write(b);
        }
        Processes.run(List.of(Interop.tool("e2fsck").toString(), "-fn", fsImage.toString())).orFail();
        try (BlockDevice disk = FileBlockDevice.open(image, true)) {
            PartitionTable t = PartitionTable.read(disk);
            assertThat(t.warnings()).isEmpty();
            Partition p = t.partition(1).orElseThrow();
            ExtFileSystem fs = ExtFileSystem.open(PartitionTable.open(disk, p));
            assertThat(fs.readAll("/boot/vmlinuz", 1 << 30)).isEqualTo(kernel);
            assertThat(fs.readAll("/etc/hostname", 100)).isEqualTo("amiforge\n".getBytes());
        }
    }

    @Test
    void pvImageHasMenuLst() throws Exception {
        byte[] kernel = random(100_000, 3);
        Path image = dir.resolve("pv.img");
        ImageBuilder.from(rootDir()).partition(ImageBuilder.PartitionScheme.NONE).boot(ImageBuilder.BootMode.PV)
                .kernel(kernel).initrd(new byte[] {1, 2, 3}).cmdline("root=/dev/xvda ro").buildRaw(image, 32L << 20);
        try (BlockDevice disk = FileBlockDevice.open(image, true)) {
            assertThat(PartitionTable.read(disk).scheme()).isEqualTo(PartitionTable.Scheme.NONE);
            ExtFileSystem fs = ExtFileSystem.open(disk);
            assertThat(new String(fs.readAll("/boot/grub/menu.lst", 10_000))).isEqualTo("""
                    default 0
                    timeout 0

                    title amiforge
                    \troot (hd0)
                    \tkernel /boot/vmlinuz root=/dev/xvda ro
                    \tinitrd /boot/initrd.img
                    """);
            assertThat(fs.readAll("/boot/vmlinuz", 1 << 20)).isEqualTo(kernel);
        }
        Processes.run(List.of(Interop.tool("e2fsck").toString(), "-fn", image.toString())).orFail();
    }

    @Test
    void deterministic() throws Exception {
        Path root = rootDir();
        for (ImageBuilder.PartitionScheme s : ImageBuilder.PartitionScheme.values()) {
            Path a = dir.resolve("a.img");
            Path b = dir.resolve("b.img");
            for (Path p : List.of(a, b)) {
                ImageBuilder.from(root).partition(s).boot(ImageBuilder.BootMode.PV).kernel(new byte[5000])
                        .sourceDateEpoch(1_234_567_890L).buildRaw(p, 16L << 20);
            }
            assertThat(Files.mismatch(a, b)).as(s.toString()).isEqualTo(-1);
        }
    }

    @Test
    void missingKernelOrLoaderRoomIsAClearError() throws Exception {
        Path root = rootDir();
        assertThatThrownBy(() -> ImageBuilder.from(root).boot(ImageBuilder.BootMode.PV).buildRaw(dir.resolve("x.img"), 16L << 20))
                .isInstanceOf(AmiforgeException.class).hasMessageContaining("no kernel given");
        assertThatThrownBy(() -> ImageBuilder.from(root).partition(ImageBuilder.PartitionScheme.NONE).boot(ImageBuilder.BootMode.HVM)
                .kernel(new byte[10]).bootCode(new Recorder()).buildRaw(dir.resolve("x.img"), 16L << 20))
                .hasMessageContaining("--partition mbr or gpt");
        assertThatThrownBy(() -> ImageBuilder.from(root).buildRaw(dir.resolve("x.img"), 1000)).hasMessageContaining("multiple of 512");
    }
}
