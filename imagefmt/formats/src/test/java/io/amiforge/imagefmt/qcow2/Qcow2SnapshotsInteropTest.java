package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Internal snapshots made by {@link Qcow2Snapshots} and by qemu-img, each side listing,
 * applying and deleting the other's; qemu-img check stays clean after every step and the
 * content after applying is the content when the snapshot was taken.
 */
@Tag("interop")
class Qcow2SnapshotsInteropTest {

    private static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    @Test
    void ourSnapshotsAreListedAppliedAndDeletedByQemuImg() throws IOException {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 21);
        Path image = dir.resolve("a.qcow2");
        Qemu.img(dir, "convert", "-c", "-O", "qcow2", "-o", "cluster_size=4096", raw.toString(), image.toString()).orFail();
        Qcow2Snapshot one = Qcow2Snapshots.create(image, "one");
        assertThat(one.id()).isEqualTo("1");
        Qemu.check(image);
        assertThat(Qemu.img(dir, "snapshot", "-l", image.toString()).output()).contains("one");
        Qemu.io(dir, image, "qcow2", "write -P 0x33 4096 1M", "write -z 2M 64k").orFail();
        Qemu.check(image);
        Path changed = Qemu.qemuRaw(image);
        Qcow2Snapshots.create(image, "two");
        Qemu.check(image);
        Qemu.img(dir, "snapshot", "-a", "one", image.toString()).orFail();
        Qemu.compare(image, raw);
        Qemu.img(dir, "snapshot", "-a", "2", image.toString()).orFail();
        Qemu.compare(image, changed);
        Qemu.img(dir, "snapshot", "-d", "one", image.toString()).orFail();
        Qemu.check(image);
        assertThat(Qcow2Snapshots.list(image)).extracting(Qcow2Snapshot::name).containsExactly("two");
    }

    @Test
    void qemuSnapshotsAreListedAppliedAndDeletedByUs() throws IOException {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 22);
        Path image = dir.resolve("q.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", raw.toString(), image.toString()).orFail();
        Qemu.img(dir, "snapshot", "-c", "first", image.toString()).orFail();
        Qemu.io(dir, image, "qcow2", "write -P 0x44 1M 3M", "discard 6M 1M").orFail();
        Path changed = Qemu.qemuRaw(image);
        Qemu.img(dir, "snapshot", "-c", "second", image.toString()).orFail();
        List<Qcow2Snapshot> listed = Qcow2Snapshots.list(image);
        assertThat(listed).extracting(Qcow2Snapshot::name).containsExactly("first", "second");
        assertThat(listed).extracting(Qcow2Snapshot::id).containsExactly("1", "2");
        assertThat(listed.getFirst().virtualSize()).isEqualTo(SIZE);
        assertThat(Qcow2Check.check(image, Qcow2Check.Repair.NONE).clean()).isTrue();

        Qcow2Snapshots.apply(image, "first");
        Qemu.check(image);
        Qemu.compare(image, raw);
        Qcow2Snapshots.apply(image, "2");
        Qemu.check(image);
        Qemu.compare(image, changed);
        Qcow2Snapshots.delete(image, "first");
        Qemu.check(image);
        Qcow2Snapshots.delete(image, "second");
        Qemu.check(image); // copied flags set again once nothing is shared
        assertThat(Qemu.img(dir, "snapshot", "-l", image.toString()).output()).doesNotContain("first").doesNotContain("second");
        Qemu.compare(image, changed);
        // with no snapshot left the image is writable again
        try (var device = io.amiforge.imagefmt.format.ImageFormats.open(image, false)) {
            device.write(0, java.lang.foreign.MemorySegment.ofArray(new byte[4096]));
        }
        Qemu.check(image);
    }

    @Test
    void unknownSnapshotsAndDuplicateNamesAreClearErrors() throws IOException {
        Path raw = Qemu.patternRaw(dir.resolve("src.raw"), SIZE, 23);
        Path image = dir.resolve("e.qcow2");
        Qemu.img(dir, "convert", "-O", "qcow2", raw.toString(), image.toString()).orFail();
        Qcow2Snapshots.create(image, "s");
        Path before = Files.copy(image, dir.resolve("before.qcow2"), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> Qcow2Snapshots.create(image, "s")).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("already exists");
        assertThatThrownBy(() -> Qcow2Snapshots.apply(image, "nope")).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("no snapshot with ID or name 'nope'");
        assertThat(Files.mismatch(image, before)).isEqualTo(-1L);
    }
}
