package io.amiforge.imagefmt.ext;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the ext2 writer makes passes e2fsck -fn and reads back identically through debugfs and our reader. */
@Tag("interop")
class Ext2WriterInteropTest {

    @TempDir
    static Path dir;
    static Path source;

    @BeforeAll
    static void tree() throws Exception {
        source = ExtFixtures.sourceTree(dir.resolve("src"), false, 2500);
        Files.createLink(source.resolve("files/hardlink"), source.resolve("files/f1025"));
    }

    private static Path build(String name, int blockSize, long size, Long epoch) {
        return build(source, name, blockSize, size, epoch);
    }

    private static Path build(Path from, String name, int blockSize, long size, Long epoch) {
        Path image = dir.resolve(name);
        try (BlockDevice dev = FileBlockDevice.create(image, size)) {
            Ext2Writer.write(dev, SourceTree.scan(from),
                    Ext2Writer.Options.defaults().withBlockSize(blockSize).withLabel("amiforge").withSourceDateEpoch(epoch));
        }
        return image;
    }

    @ParameterizedTest
    @ValueSource(ints = {1024, 2048, 4096})
    void e2fsckAndDebugfsAgree(int blockSize) throws Exception {
        Path image = build("w" + blockSize + ".img", blockSize, 200L << 20, null);
        String fsck = Processes.run(List.of(Interop.tool("e2fsck").toString(), "-fn", image.toString())).orFail().output();
        assertThat(fsck).contains("amiforge").doesNotContain("Fix? no");
        // debugfs reads every file back (the 5 GiB sparse file is checked through our reader below)
        Path out = Files.createDirectories(dir.resolve("rdump" + blockSize));
        List<String> rdump = new ArrayList<>();
        try (Stream<Path> s = Files.list(source)) {
            s.map(p -> "/" + p.getFileName()).filter(p -> !p.equals("/big-sparse")).sorted().forEach(p -> rdump.add("\"" + p + "\""));
        }
        ExtFixtures.run("debugfs", "-R", "rdump " + String.join(" ", rdump) + " " + out, image.toString());
        assertSameHostTree(source, out);
        String ls = ExtFixtures.output("debugfs", "-R", "ls -l /modes", image.toString());
        assertThat(ls).containsPattern("104755\\s+\\(1\\)\\s+\\d+\\s+\\d+\\s+4\\s+.*m4755");
        assertThat(ls).containsPattern("101777\\s+\\(1\\)\\s+\\d+\\s+\\d+\\s+4\\s+.*m1777");
        if ("root".equals(System.getProperty("user.name"))) {
            assertThat(ls).containsPattern("100600\\s+\\(1\\)\\s+1234\\s+5678\\s+4\\s+.*m0600");
        }
        try (BlockDevice dev = FileBlockDevice.open(image, true)) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            ExtFixtures.assertSameTree(source, fs, true);
            assertThat(fs.stat("/files/hardlink").inode()).isEqualTo(fs.stat("/files/f1025").inode());
            assertThat(fs.stat("/files/hardlink").links()).isEqualTo(2);
        }
    }

    private static void assertSameHostTree(Path expected, Path actual) throws Exception {
        List<Path> all;
        try (Stream<Path> s = Files.walk(expected)) {
            all = s.filter(p -> !p.equals(expected) && !p.getFileName().toString().equals("big-sparse")).toList();
        }
        for (Path p : all) {
            Path q = actual.resolve(expected.relativize(p).toString());
            String rel = expected.relativize(p).toString();
            assertThat(Files.exists(q, LinkOption.NOFOLLOW_LINKS)).as(rel).isTrue();
            if (Files.isSymbolicLink(p)) {
                assertThat(Files.readSymbolicLink(q)).as(rel).isEqualTo(Files.readSymbolicLink(p));
            } else {
                // debugfs rdump does not restore the sticky bit of regular files: checked with stat below
                int mask = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? ~07000 : ~0;
                assertThat((Integer) Files.getAttribute(q, "unix:mode", LinkOption.NOFOLLOW_LINKS) & mask).as(rel + " mode")
                        .isEqualTo((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & mask);
                for (String attr : List.of("unix:uid", "unix:gid")) {
                    assertThat(Files.getAttribute(q, attr, LinkOption.NOFOLLOW_LINKS)).as(rel + " " + attr)
                            .isEqualTo(Files.getAttribute(p, attr, LinkOption.NOFOLLOW_LINKS));
                }
                if (Files.isRegularFile(p)) {
                    assertThat(Files.readAllBytes(q)).as(rel).isEqualTo(Files.readAllBytes(p));
                    assertThat(Files.getLastModifiedTime(q).toMillis() / 1000).as(rel)
                            .isEqualTo(Files.getLastModifiedTime(p).toMillis() / 1000);
                }
            }
        }
    }

    @Test
    void fileOverFourGibUsesTripleIndirectBlocks() throws Exception {
        Path src = Files.createDirectories(dir.resolve("big-src"));
        try (RandomAccessFile f = new RandomAccessFile(src.resolve("big-sparse").toFile(), "rw")) {
            f.setLength(ExtFixtures.BIG_SPARSE_SIZE);
            for (long at : ExtFixtures.BIG_SPARSE_DATA) {
                f.seek(at);
                f.write(("data at " + at + "\n").repeat(5).getBytes());
            }
        }
        Path image = build(src, "big.img", 4096, 32L << 20, null);
        Processes.run(List.of(Interop.tool("e2fsck").toString(), "-fn", image.toString())).orFail();
        assertThat(ExtFixtures.output("debugfs", "-R", "stat /big-sparse", image.toString()))
                .contains("Size: " + (5L << 30)).contains("TIND");
        // debugfs maps each data block (through the triple indirect block past 4 GiB) to where we wrote it
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            for (long at : ExtFixtures.BIG_SPARSE_DATA) {
                String bmap = ExtFixtures.output("debugfs", "-R", "bmap /big-sparse " + at / 4096, image.toString()).trim();
                long block = Long.parseLong(bmap.substring(bmap.lastIndexOf('\n') + 1).trim());
                byte[] b = new byte[12];
                f.seek(block * 4096 + at % 4096);
                f.readFully(b, 0, (int) Math.min(12, 4096 - at % 4096));
                assertThat(new String(b, 0, (int) Math.min(12, 4096 - at % 4096)))
                        .isEqualTo(("data at " + at + "\n").repeat(5).substring(0, (int) Math.min(12, 4096 - at % 4096)));
            }
        }
        try (BlockDevice dev = FileBlockDevice.open(image, true)) {
            ExtFixtures.assertSameTree(src, ExtFileSystem.open(dev), true);
        }
    }

    @Test
    void sameInputsSameBytes() throws Exception {
        Path a = build("a.img", 4096, 64L << 20, 1_700_000_000L);
        Path b = build("b.img", 4096, 64L << 20, 1_700_000_000L);
        assertThat(Processes.run(List.of("cmp", a.toString(), b.toString())).exitCode()).isZero();
        String stat = ExtFixtures.output("debugfs", "-R", "stat /files/f1", a.toString());
        assertThat(stat).contains("mtime: 0x6553f100"); // clamped to SOURCE_DATE_EPOCH
        assertThat(ExtFixtures.output("dumpe2fs", "-h", a.toString())).contains("Filesystem created:       Tue Nov 14 22:13:20 2023");
    }

    @Test
    void contiguousFilesAndBlockLists() throws Exception {
        SourceTree tree = SourceTree.empty(java.nio.file.attribute.FileTime.fromMillis(0));
        byte[] kernel = new byte[3 << 20];
        new java.util.Random(1).nextBytes(kernel);
        java.util.Arrays.fill(kernel, 8192, 20000, (byte) 0); // zero blocks stay allocated in a contiguous file
        tree.putFile("/boot/vmlinuz", kernel, 0644, 0, 0, java.nio.file.attribute.FileTime.fromMillis(0));
        try (BlockDevice dev = new MemoryBlockDevice("m", 32L << 20)) {
            Ext2Writer.Result r = Ext2Writer.write(dev, tree, Ext2Writer.Options.defaults().withBlockSize(1024)
                    .withSourceDateEpoch(0L).withContiguous(Set.of("/boot/vmlinuz")));
            List<Ext2Writer.BlockRun> runs = r.blocksOf("/boot/vmlinuz");
            assertThat(runs).hasSize(1);
            assertThat(runs.getFirst().count()).isEqualTo(3 * 1024);
            byte[] raw = new byte[kernel.length];
            dev.read(runs.getFirst().physical() * 1024, MemorySegment.ofArray(raw));
            assertThat(raw).isEqualTo(kernel);
            ExtFileSystem fs = ExtFileSystem.open(dev);
            assertThat(fs.readAll("/boot/vmlinuz", 1 << 30)).isEqualTo(kernel);
            assertThat(fs.openFile("/boot/vmlinuz").runs()).allSatisfy(x ->
                    assertThat(x[1]).isEqualTo(runs.getFirst().physical() + x[0]));
        }
    }

    @Test
    void sparseSourceStaysSparse() throws Exception {
        Path src = Files.createDirectories(dir.resolve("sparse-src"));
        try (RandomAccessFile f = new RandomAccessFile(src.resolve("s").toFile(), "rw")) {
            f.setLength(1L << 30);
            f.seek(512L << 20);
            f.write(7);
        }
        try (BlockDevice dev = new MemoryBlockDevice("m", 16L << 20)) {
            Ext2Writer.Result r = Ext2Writer.write(dev, SourceTree.scan(src), Ext2Writer.Options.defaults());
            assertThat(r.blocksOf("/s")).singleElement().satisfies(run -> {
                assertThat(run.logical()).isEqualTo((512L << 20) / 4096);
                assertThat(run.count()).isEqualTo(1);
            });
            ExtFileSystem fs = ExtFileSystem.open(dev);
            byte[] one = new byte[3];
            fs.openFile("/s").read((512L << 20) - 1, one, 0, 3);
            assertThat(one).containsExactly(0, 7, 0);
        }
    }
}
