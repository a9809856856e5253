package io.amiforge.imagefmt.ext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.testkit.Interop;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Tag;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Damaged images: every outcome is a clean {@link AmiforgeException} or a successful read, never
 * another exception, a hang or running out of memory. The base images are made by mke2fs
 * (ext4 with a depth-1 extent tree and an htree directory; ext2 with indirect blocks), then bytes
 * of the superblock, group descriptors, inode table, extent blocks and directory blocks are
 * changed.
 */
@Tag("interop")
class ExtRobustnessTest {

    /** An image and the byte ranges worth damaging in it. */
    record Base(String name, byte[] image, List<long[]> regions) {
    }

    static final List<Base> BASES = new ArrayList<>();
    static Path work;

    @BeforeContainer
    static void images() throws Exception {
        // in the container hook, not the properties: jqwik counts a try that skips as a rejection
        for (String tool : List.of("mke2fs", "debugfs", "e2fsck")) {
            Interop.tool(tool);
        }
        work = Files.createTempDirectory("ext-robust");
        Path src = Files.createDirectories(work.resolve("src"));
        for (int i = 0; i < 400; i++) {
            Files.writeString(src.resolve("entry-" + i), "x".repeat(i % 50));
        }
        Files.createDirectories(src.resolve("a/b/c"));
        Files.write(src.resolve("a/b/c/file"), new byte[70_000]);
        Files.createSymbolicLink(src.resolve("a/link"), Path.of("b/c/" + "./".repeat(40) + "file"));
        byte[] chunk = new byte[6000];
        new java.util.Random(1).nextBytes(chunk);
        Files.write(work.resolve("chunk"), chunk);
        for (String kind : List.of("ext2", "ext4")) {
            Path image = work.resolve(kind + ".img");
            ExtFixtures.run("mke2fs", "-q", "-F", "-t", kind, "-O", "^has_journal", "-b", "1024", "-N", "512", "-d", src.toString(),
                    image.toString(), "2M");
            StringBuilder script = new StringBuilder();
            for (int i = 0; i < 40; i++) {
                script.append("write ").append(work.resolve("chunk")).append(" frag").append(i).append('\n');
            }
            for (int i = 0; i < 40; i += 2) {
                script.append("rm frag").append(i).append('\n');
            }
            script.append("write ").append(work.resolve("chunk")).append(" big1\n");
            Path s = work.resolve(kind + ".dbg");
            Files.writeString(s, script + "write " + src.resolve("a/b/c/file") + " big2\n");
            ExtFixtures.run("debugfs", "-w", "-f", s.toString(), image.toString());
            if (kind.equals("ext4")) {
                io.amiforge.testkit.Processes.run(List.of(Interop.tool("e2fsck").toString(), "-fyD", image.toString()));
            }
            byte[] bytes = Files.readAllBytes(image);
            List<long[]> regions = new ArrayList<>();
            regions.add(new long[] {1024, 1024}); // superblock
            regions.add(new long[] {2048, 1024}); // group descriptors
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            long itable = Integer.toUnsignedLong(b.getInt(2048 + 8));
            regions.add(new long[] {itable * 1024, 64 * 256}); // the first inodes
            for (String dir : List.of("/", "/a", "/a/b")) {
                for (long block : blocks(image, dir)) {
                    regions.add(new long[] {block * 1024, 1024});
                }
            }
            String ex = ExtFixtures.output("debugfs", "-R", "ex /big2", image.toString());
            Matcher m = Pattern.compile("(?m)^\\s*0/\\s*1\\s+\\d+/\\s*\\d+\\s+\\d+\\s*-\\s*\\d+\\s+(\\d+)").matcher(ex);
            while (m.find()) {
                regions.add(new long[] {Long.parseLong(m.group(1)) * 1024, 1024}); // extent tree blocks
            }
            for (long block : blocks(image, "/big2")) {
                if (block * 1024 < bytes.length) {
                    regions.add(new long[] {block * 1024, 64}); // data and (ext2) indirect blocks
                    break;
                }
            }
            BASES.add(new Base(kind, bytes, regions));
        }
    }

    @AfterContainer
    static void cleanup() throws Exception {
        if (work != null) {
            try (var s = Files.walk(work)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static List<Long> blocks(Path image, String path) {
        String out = ExtFixtures.output("debugfs", "-R", "blocks " + path, image.toString());
        List<Long> list = new ArrayList<>();
        for (String t : out.trim().split("\\s+")) {
            if (t.matches("\\d+")) {
                list.add(Long.parseLong(t));
            }
        }
        return list;
    }

    @Example
    void undamagedBasesReadCompletely() {
        for (Base b : BASES) {
            assertThat(exercise(b.image())).as(b.name()).isEqualTo("ok");
            assertThat(b.regions().size()).as(b.name() + " regions").isGreaterThan(5);
        }
    }

    /** Opens, walks and reads everything; returns "ok" or the code of the AmiforgeException, never anything else. */
    static String exercise(byte[] image) {
        String[] outcome = {"ok"};
        try (BlockDevice dev = new MemoryBlockDevice("damaged.img", image.length, 512)) {
            dev.write(0, MemorySegment.ofArray(image));
            ExtFileSystem fs = ExtFileSystem.open(dev);
            List<String> files = new ArrayList<>();
            fs.walk("/", (p, st) -> {
                if (st.type() == FileType.REGULAR) {
                    files.add(p);
                }
            });
            for (String f : files) {
                try {
                    fs.readAll(f, 8 << 20);
                } catch (AmiforgeException e) {
                    assertThat(e.getMessage()).isNotBlank();
                    outcome[0] = e.code();
                }
            }
            try {
                fs.readAll("/a/link", 1 << 20);
            } catch (AmiforgeException e) {
                assertThat(e.getMessage()).isNotBlank();
                outcome[0] = e.code();
            }
        } catch (AmiforgeException e) {
            assertThat(e.getMessage()).isNotBlank();
            outcome[0] = e.code();
        }
        return outcome[0];
    }

    @Property(tries = 400)
    void damagedImagesFailCleanly(@ForAll @IntRange(min = 0, max = 1) int base, @ForAll @IntRange(min = 0, max = 63) int region,
                                  @ForAll @IntRange(min = 0, max = 1 << 20) int offset, @ForAll byte value,
                                  @ForAll @IntRange(min = 0, max = 3) int extra) {
        Base b = BASES.get(base);
        long[] r = b.regions().get(region % b.regions().size());
        byte[] image = b.image().clone();
        int at = (int) (r[0] + offset % r[1]);
        image[at] = value;
        for (int i = 1; i <= extra; i++) { // sometimes a few more bytes nearby, e.g. a whole field
            image[Math.min(image.length - 1, at + i)] = (byte) (value * 31 + i);
        }
        String outcome = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> exercise(image),
                () -> "hang with byte " + at + " of " + b.name() + " set to " + value);
        Statistics.collect(outcome);
    }

    @Property(tries = 20)
    void truncatedImagesFailCleanly(@ForAll @IntRange(min = 0, max = 1) int base, @ForAll @IntRange(min = 1, max = 2047) int kib) {
        byte[] full = BASES.get(base).image();
        byte[] cut = java.util.Arrays.copyOf(full, Math.min(full.length, kib * 1024));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> exercise(cut));
    }
}
