package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Discard in images with extended L2 entries, against qemu 7.2. qemu's own discard ignores the
 * part of a range that does not cover whole clusters (the data stays readable), which the
 * {@link BlockDevice#discard} contract does not allow; the qemu operation with the same contract
 * is write-zeroes with unmap ({@code write -z -u}), so a copy of the image gets qemu-io's
 * {@code discard} for the whole clusters of each range and {@code write -z -u} for the rest,
 * another copy gets our discard of the same ranges, and the two must then have the same
 * {@code qemu-img map --output=json}, compare equal, and pass {@code qemu-img check}.
 */
@Tag("interop")
class Qcow2SubclusterDiscardInteropTest {

    private static final long CLUSTER = 64 << 10;
    /** Not a multiple of the cluster size (nor of the 2 KiB subcluster): the last cluster is partial. */
    private static final long SIZE = (1L << 20) + 3 * 512;

    @TempDir
    Path dir;

    /** Ranges as {offset, length}: subcluster-aligned, unaligned edges, across a cluster boundary, whole clusters, up to the end. */
    private static final long[][] RANGES = {
        {4 << 10, 8 << 10},
        {70_000, 10_000},
        {200 << 10, 64 << 10},
        {512 << 10, 64 << 10},
        {640 << 10, 130 << 10},
        {(960 << 10) + 2048, SIZE - (960 << 10) - 2048},
    };

    @ParameterizedTest(name = "backing file: {0}")
    @ValueSource(booleans = {false, true})
    void partialClusterDiscardsMatchQemusWriteZeroesAndWholeClustersItsDiscard(boolean backing) throws Exception {
        Path image = dir.resolve("image.qcow2");
        if (backing) {
            Path base = dir.resolve("base.qcow2");
            Qemu.img(dir, "create", "-f", "qcow2", base.toString(), Long.toString(SIZE)).orFail();
            Qemu.io(dir, base, "qcow2", "write -P 0x61 0 " + SIZE).orFail();
            Qemu.img(dir, "create", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k", "-b", "base.qcow2", "-F", "qcow2",
                    image.toString()).orFail();
            // Some clusters and subclusters of the top hold data, the rest reads from the base.
            Qemu.io(dir, image, "qcow2", "write -P 0x11 0 128k", "write -P 0x22 200k 16k", "write -P 0x33 640k 200k").orFail();
        } else {
            Qemu.img(dir, "create", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k", image.toString(), Long.toString(SIZE))
                    .orFail();
            Qemu.io(dir, image, "qcow2", "write -P 0x11 0 " + SIZE).orFail();
        }
        Path theirs = Files.copy(image, dir.resolve("theirs.qcow2"));
        Path ours = Files.copy(image, dir.resolve("ours.qcow2"));

        List<String> commands = new ArrayList<>();
        for (long[] range : RANGES) {
            long end = range[0] + range[1];
            for (long pos = range[0]; pos < end; ) {
                long clusterEnd = Math.min(SIZE, (pos & -CLUSTER) + CLUSTER);
                long n = Math.min(end, clusterEnd) - pos;
                boolean whole = (pos & (CLUSTER - 1)) == 0 && pos + n == clusterEnd;
                commands.add((whole ? "discard " : "write -z -u ") + pos + " " + n);
                pos += n;
            }
        }
        Qemu.io(dir, theirs, "qcow2", commands.toArray(String[]::new)).orFail();
        try (BlockDevice device = ImageFormats.open(ours, false)) {
            for (long[] range : RANGES) {
                device.discard(range[0], range[1]);
            }
        }

        Qemu.check(ours);
        Qemu.compare(ours, theirs);
        String ourMap = Qemu.img(dir, "map", "--output=json", ours.toString()).orFail().output();
        String theirMap = Qemu.img(dir, "map", "--output=json", theirs.toString()).orFail().output();
        assertThat(ourMap).isEqualTo(theirMap);
        // The covered subclusters are zero subclusters (no data), not zeros written into the file.
        assertThat(ourMap).contains("{ \"start\": 4096, \"length\": 8192, \"depth\": 0, \"present\": true, \"zero\": true, \"data\": false");
        // And every discarded byte reads as zeros.
        byte[] bytes = Files.readAllBytes(Qemu.qemuRaw(ours));
        for (long[] range : RANGES) {
            for (long i = range[0]; i < range[0] + range[1]; i++) {
                assertThat(bytes[(int) i]).as("byte at %d", i).isZero();
            }
        }
    }
}
