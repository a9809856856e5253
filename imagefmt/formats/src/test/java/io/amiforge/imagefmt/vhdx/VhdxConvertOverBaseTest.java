package io.amiforge.imagefmt.vhdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.sparse.HostFile;
import io.amiforge.imagefmt.sparse.QemuImg;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Converting to a differencing VHDX over a base ({@code image convert -O vhdx -B BASE}): the
 * result reads as the source (through our reader: qemu-img 7.2 does not open differencing VHDX,
 * "Operation not supported", which the test pins so that a qemu that can gets used), and the
 * 2 MiB blocks where the source equals the base are not present in the child.
 */
@Tag("interop")
class VhdxConvertOverBaseTest {

    private static final int BLOCK = VhdxCreator.DIFFERENCING_BLOCK_SIZE;
    /** Eight blocks and a partial ninth. */
    private static final long SIZE = 8L * BLOCK + 4096;

    @TempDir
    Path dir;

    /** BAT states of the child's payload blocks (chunk ratio 2048: one sector bitmap entry after every 2048 blocks). */
    private static long[] states(Path vhdx) throws Exception {
        long batOffset;
        try (HostFile file = HostFile.open(vhdx, true)) {
            batOffset = VhdxRegions.read(file).batOffset();
        }
        int blocks = (int) ((SIZE + BLOCK - 1) / BLOCK);
        ByteBuffer bat = ByteBuffer.allocate(8 * blocks).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel c = FileChannel.open(vhdx)) {
            c.read(bat, batOffset);
        }
        long[] states = new long[blocks];
        for (int i = 0; i < blocks; i++) {
            states[i] = bat.getLong(8 * i) & 7;
        }
        return states;
    }

    @Test
    void theChildHoldsOnlyTheBlocksThatDifferAndReadsAsTheSource() throws Exception {
        byte[] bytes = new byte[(int) SIZE];
        new Random(3).nextBytes(bytes);
        Path baseRaw = Files.write(dir.resolve("base.raw"), bytes);
        Path base = dir.resolve("base.vhdx");
        ImageConverter.convert(baseRaw, base, "vhdx", CreateOptions.defaults());
        // The source: the base with 5 KiB changed in block 1, block 3 zeroed whole, 128 KiB zeroed in block 5, one
        // byte changed in the partial last block; blocks 0, 2, 4, 6 and 7 are the base's.
        byte[] changed = bytes.clone();
        Arrays.fill(changed, BLOCK + 4000, BLOCK + 4000 + 5120, (byte) 0x5a);
        Arrays.fill(changed, 3 * BLOCK, 4 * BLOCK, (byte) 0);
        Arrays.fill(changed, 5 * BLOCK + 131_072, 5 * BLOCK + 262_144, (byte) 0);
        changed[(int) SIZE - 10] ^= 1;
        Path sourceRaw = Files.write(dir.resolve("source.raw"), changed);
        // The source is a flat qcow2, not a layer over the base: contents are compared, not allocation.
        Path source = dir.resolve("source.qcow2");
        QemuImg.run(dir, "convert", "-f", "raw", "-O", "qcow2", sourceRaw.toString(), source.toString()).orFail();

        Path child = dir.resolve("child.vhdx");
        long written = ImageConverter.convert(source, child, "vhdx", CreateOptions.defaults().withBacking("base.vhdx", "vhdx"));

        ImageInfo info = ImageFormats.info(child);
        assertThat(info.backingFile()).isEqualTo("base.vhdx");
        assertThat(info.formatSpecific()).containsEntry("subformat", "differencing");
        try (BlockDevice device = ImageFormats.open(child, true)) {
            QemuImg.assertSameContent(device, sourceRaw);
        }
        Path merged = dir.resolve("merged.raw");
        ImageConverter.convert(child, merged, "raw", CreateOptions.defaults());
        assertThat(Files.mismatch(merged, sourceRaw)).isEqualTo(-1L);

        long[] states = states(child);
        for (int block : new int[] {0, 2, 4, 6, 7}) {
            assertThat(states[block]).as("state of unchanged block %d", block).isEqualTo(VhdxDevice.NOT_PRESENT);
        }
        assertThat(states[1]).as("block 1: 5 KiB changed").isEqualTo(VhdxDevice.PARTIALLY_PRESENT);
        assertThat(states[3]).as("block 3: zeroed whole").isEqualTo(VhdxDevice.ZERO_STATE);
        assertThat(states[5]).as("block 5: partly zeroed").isEqualTo(VhdxDevice.PARTIALLY_PRESENT);
        assertThat(states[8]).as("the partial last block: one byte changed").isEqualTo(VhdxDevice.PARTIALLY_PRESENT);
        // Data written: the three 4 KiB units the 5 KiB change in block 1 touches and the 4 KiB of block 8 (zeros are discards).
        assertThat(written).isEqualTo(3 * 4096 + 4096);

        QemuImg.check(base, "vhdx");
        assertThat(QemuImg.run(dir, "info", "-f", "vhdx", child.toString()).output()).contains("Operation not supported");
    }

    @Test
    void badBasesAreRefusedByName() throws Exception {
        Path raw = QemuImg.patternRaw(dir.resolve("base.raw"), SIZE, 4);
        Path base = dir.resolve("base.vhdx");
        ImageConverter.convert(raw, base, "vhdx", CreateOptions.defaults());
        Path bigger = dir.resolve("bigger.raw");
        try (FileChannel c = FileChannel.open(bigger, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap(new byte[1]), SIZE + 512 - 1);
        }
        assertThatThrownBy(() -> ImageConverter.convert(bigger, dir.resolve("c.vhdx"), "vhdx",
                CreateOptions.defaults().withBacking("base.vhdx", "vhdx")))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("differs from the parent's " + SIZE);
        assertThatThrownBy(() -> ImageConverter.convert(raw, dir.resolve("c.vhdx"), "vhdx",
                CreateOptions.defaults().withBacking("base.raw", null)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("must be a VHDX, not raw");
        assertThatThrownBy(() -> ImageConverter.convert(raw, base, "vhdx", CreateOptions.defaults().withBacking("base.vhdx", "vhdx")))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("is the target");
        assertThat(Files.exists(dir.resolve("c.vhdx"))).isFalse();
    }
}
