package io.amiforge.x86.bios;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DiskGeometryTest {

    @Test
    void smallDisksGet16HeadsAndAtLeastOneCylinder() {
        assertThat(DiskGeometry.of(8)).isEqualTo(new DiskGeometry(8, 1, 16, 63));
        assertThat(DiskGeometry.of(16 * 63 * 10 + 5)).isEqualTo(new DiskGeometry(16 * 63 * 10 + 5, 10, 16, 63));
    }

    @Test
    void from504MiBOnTheTranslationUses255HeadsAndAtMost1024Cylinders() {
        long limit = 1024L * 16 * 63; // 504 MiB
        assertThat(DiskGeometry.of(limit - 1).heads()).isEqualTo(16);
        assertThat(DiskGeometry.of(limit - 1).cylinders()).isEqualTo(1023);
        assertThat(DiskGeometry.of(limit)).isEqualTo(new DiskGeometry(limit, 64, 255, 63));
        assertThat(DiskGeometry.of(1L << 31).cylinders()).isEqualTo(1024);
    }

    @Test
    void chsToLbaAndOutOfGeometryAddresses() {
        DiskGeometry g = DiskGeometry.of(16 * 63 * 4);
        assertThat(g.lba(0, 0, 1)).isZero();
        assertThat(g.lba(0, 1, 1)).isEqualTo(63);
        assertThat(g.lba(2, 3, 4)).isEqualTo((2 * 16 + 3) * 63 + 3);
        assertThat(g.lba(0, 0, 0)).as("sectors count from 1").isEqualTo(-1);
        assertThat(g.lba(0, 0, 64)).isEqualTo(-1);
        assertThat(g.lba(0, 16, 1)).isEqualTo(-1);
        assertThat(g.lba(9, 0, 1)).as("a cylinder past the end is the read's problem").isEqualTo(9 * 16 * 63);
    }
}
