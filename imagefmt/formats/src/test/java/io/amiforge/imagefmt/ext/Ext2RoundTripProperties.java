package io.amiforge.imagefmt.ext;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * A random tree written by {@link Ext2Writer} reads back identically through {@link ExtFileSystem}
 * (a model: the map of paths to contents, link targets and modes the tree was made from).
 */
class Ext2RoundTripProperties {

    @Property(tries = 40)
    void randomTreesRoundTrip(@ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int blockSizeIndex) {
        int blockSize = 1024 << blockSizeIndex;
        Random r = new Random(seed);
        FileTime t = FileTime.fromMillis(1_500_000_000_000L);
        SourceTree tree = SourceTree.empty(t);
        Map<String, byte[]> files = new HashMap<>();
        Map<String, String> links = new HashMap<>();
        Map<String, Integer> modes = new HashMap<>();
        int count = r.nextInt(60);
        for (int i = 0; i < count; i++) {
            StringBuilder path = new StringBuilder();
            int depth = r.nextInt(4);
            for (int d = 0; d < depth; d++) {
                path.append("/d").append(r.nextInt(3));
            }
            path.append("/n").append(i).append("x".repeat(r.nextInt(200)));
            String p = path.toString();
            if (r.nextInt(5) == 0) {
                String target = "t".repeat(1 + r.nextInt(Math.min(blockSize - 1, 300)));
                tree.putSymlink(p, target, r.nextInt(3), r.nextInt(3), t);
                links.put(p, target);
            } else {
                int size = switch (r.nextInt(4)) {
                    case 0 -> r.nextInt(100);
                    case 1 -> r.nextInt(20_000);
                    case 2 -> r.nextInt(400_000);
                    default -> blockSize * (1 + r.nextInt(300));
                };
                byte[] data = new byte[size];
                for (int at = 0; at < size; at += blockSize) {
                    if (r.nextInt(3) != 0) { // some blocks stay zero: holes
                        for (int k = at; k < Math.min(size, at + blockSize); k += 7) {
                            data[k] = (byte) r.nextInt();
                        }
                    }
                }
                int mode = r.nextInt(07777 + 1);
                tree.putFile(p, data, mode, r.nextInt(70000), r.nextInt(70000), t);
                files.put(p, data);
                modes.put(p, mode);
            }
        }
        try (BlockDevice dev = new MemoryBlockDevice("rt", 64L << 20)) {
            Ext2Writer.write(dev, tree, Ext2Writer.Options.defaults().withBlockSize(blockSize).withSourceDateEpoch(1_600_000_000L));
            ExtFileSystem fs = ExtFileSystem.open(dev);
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                if (links.keySet().stream().anyMatch(l -> e.getKey().startsWith(l + "/"))) {
                    continue;
                }
                assertThat(fs.readAll(e.getKey(), 1 << 30)).as(e.getKey()).isEqualTo(e.getValue());
                assertThat(fs.lstat(e.getKey()).mode()).as(e.getKey()).isEqualTo(modes.get(e.getKey()));
            }
            for (Map.Entry<String, String> e : links.entrySet()) {
                assertThat(fs.readlink(e.getKey())).isEqualTo(e.getValue());
            }
        }
    }
}
