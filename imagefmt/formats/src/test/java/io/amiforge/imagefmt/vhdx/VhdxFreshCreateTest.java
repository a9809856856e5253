package io.amiforge.imagefmt.vhdx;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device {@code create} returns is over a file nobody has seen: writing through it keeps the
 * DataWriteGuid the creator chose (no renewal), while the first change after any later open
 * renews it, so a child made in between no longer links.
 */
class VhdxFreshCreateTest {

    @TempDir
    Path dir;

    private static Object dataWriteGuid(Path image) {
        return ImageFormats.info(image).formatSpecific().get("dataWriteGuid");
    }

    @Test
    void theCreatorsDeviceWritesWithoutRenewingAndALaterOpenRenewsOnItsFirstChange() {
        Path image = dir.resolve("new.vhdx");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(4096).fill((byte) 0x5A);
            Object created;
            try (BlockDevice device = ImageFormats.create(image, "vhdx", 64L << 20, CreateOptions.defaults())) {
                created = dataWriteGuid(image);
                device.write(1 << 20, block);
                device.flush();
                device.write(40L << 20, block); // after the flush: an ordinary open disk from here on
            }
            assertThat(dataWriteGuid(image)).as("the creator's own GUID stays").isEqualTo(created);

            try (BlockDevice device = ImageFormats.open(image, false)) {
                device.write(2 << 20, block);
            }
            assertThat(dataWriteGuid(image)).as("a later open renews before its first change").isNotEqualTo(created);

            try (BlockDevice device = ImageFormats.open(image, true)) {
                MemorySegment read = arena.allocate(4096);
                for (long at : new long[] {1 << 20, 40L << 20, 2 << 20}) {
                    device.read(at, read);
                    assertThat(read.mismatch(block)).as("block at %d", at).isEqualTo(-1);
                }
            }
        }
    }
}
