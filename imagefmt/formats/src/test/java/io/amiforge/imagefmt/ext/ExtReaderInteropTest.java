package io.amiforge.imagefmt.ext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Images made by e2fsprogs' mke2fs -d read back identically to their source tree. */
@Tag("interop")
class ExtReaderInteropTest {

    @TempDir
    static Path dir;
    static Path source;

    @BeforeAll
    static void tree() throws Exception {
        source = ExtFixtures.sourceTree(dir.resolve("src"), true, 3000);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "ext2", "ext2 -b 1024", "ext3", "ext3 -b 2048", "ext4", "ext4 -O ^has_journal", "ext4 -O ^64bit -I 128",
            "ext4 -O inline_data", "ext4 -b 1024 -O ^has_journal,meta_bg,^resize_inode"})
    void mke2fsImagesReadBack(String config) throws Exception {
        Path image = dir.resolve(config.replaceAll("[^a-z0-9]", "_") + ".img");
        String owner = "root_owner=" + Files.getAttribute(source, "unix:uid") + ":" + Files.getAttribute(source, "unix:gid");
        List<String> cmd = new ArrayList<>(List.of("mke2fs", "-q", "-F", "-E", owner, "-t"));
        cmd.addAll(List.of(config.split(" ")));
        cmd.addAll(List.of("-d", source.toString(), image.toString(), "96M"));
        ExtFixtures.run(cmd.toArray(String[]::new));
        if (!config.startsWith("ext2")) {
            // rebuild directory indexes: 'huge' becomes an htree directory
            io.amiforge.testkit.Processes.run(List.of(
                    io.amiforge.testkit.Interop.tool("e2fsck").toString(), "-fyD", image.toString()));
            assertThat(ExtFixtures.output("debugfs", "-R", "htree /huge", image.toString())).contains("Number of entries");
        }
        try (BlockDevice dev = FileBlockDevice.open(image, true)) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            assertThat(fs.superblock().kind()).isEqualTo(config.substring(0, 4));
            // mke2fs 1.47 -d with inline_data drops a sparse file's trailing hole: debugfs agrees with us
            java.util.Set<String> skip = config.contains("inline_data") ? java.util.Set.of("/files/sparse") : java.util.Set.of();
            if (!skip.isEmpty()) {
                assertThat(ExtFixtures.output("debugfs", "-R", "stat /files/sparse", image.toString()))
                        .contains("Size: " + fs.stat("/files/sparse").size());
            }
            ExtFixtures.assertSameTree(source, fs, true, skip);
            assertThat(fs.readAll("/slow-link", 100)).isEqualTo("deep leaf\n".getBytes());
            assertThat(fs.readAll("/dir-link/d2/../d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/leaf.txt", 100)).isEqualTo("deep leaf\n".getBytes());
            assertThat(fs.stat("/abs-link").size()).isEqualTo(1);
            assertThatThrownBy(() -> fs.stat("/dangling")).isInstanceOf(AmiforgeException.class).hasMessageContaining("nowhere");
            assertThatThrownBy(() -> fs.readAll("/files/f5300000", 1000)).hasMessageContaining("limit");
            assertThatThrownBy(() -> fs.list("/files/f1")).hasMessageContaining("not a directory");
        }
    }

    @Test
    void deepExtentTree() throws Exception {
        Path image = dir.resolve("frag.img");
        Path small = dir.resolve("small");
        byte[] smallData = new byte[8192];
        new java.util.Random(3).nextBytes(smallData);
        Files.write(small, smallData);
        byte[] bigData = new byte[3 << 20];
        new java.util.Random(7).nextBytes(bigData);
        Path big = dir.resolve("big");
        Files.write(big, bigData);
        ExtFixtures.run("mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-b", "4096", image.toString(), "16M");
        StringBuilder script = new StringBuilder();
        for (int i = 0; i < 600; i++) {
            script.append("write ").append(small).append(" s").append(i).append('\n');
        }
        for (int i = 0; i < 600; i += 2) {
            script.append("rm s").append(i).append('\n');
        }
        script.append("write ").append(big).append(" big\n");
        Path scriptFile = dir.resolve("frag.debugfs");
        Files.writeString(scriptFile, script);
        ExtFixtures.run("debugfs", "-w", "-f", scriptFile.toString(), image.toString());
        String ex = ExtFixtures.output("debugfs", "-R", "ex /big", image.toString());
        Matcher m = Pattern.compile("(?m)^\\s*(\\d+)/\\s*(\\d+)").matcher(ex);
        assertThat(m.find()).as(ex).isTrue();
        assertThat(Integer.parseInt(m.group(2))).as("extent tree depth of /big").isGreaterThanOrEqualTo(1);
        try (BlockDevice dev = FileBlockDevice.open(image, true)) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            assertThat(fs.readAll("/big", 1 << 30)).isEqualTo(bigData);
            assertThat(fs.openFile("/big").runs().size()).isGreaterThan(4);
            assertThat(fs.readAll("/s1", 1 << 20)).isEqualTo(smallData);
        }
    }

    @Test
    void symlinkLoopIsAClearError() throws Exception {
        Path src = Files.createDirectories(dir.resolve("loopsrc"));
        Files.createSymbolicLink(src.resolve("a"), Path.of("b"));
        Files.createSymbolicLink(src.resolve("b"), Path.of("a"));
        Files.createSymbolicLink(src.resolve("self"), Path.of("self/x"));
        Path image = dir.resolve("loop.img");
        ExtFixtures.run("mke2fs", "-q", "-F", "-t", "ext4", "-d", src.toString(), image.toString(), "4M");
        try (BlockDevice dev = FileBlockDevice.open(image, true)) {
            ExtFileSystem fs = ExtFileSystem.open(dev);
            assertThatThrownBy(() -> fs.stat("/a")).isInstanceOf(AmiforgeException.class)
                    .hasMessageContaining("too many levels of symbolic links");
            assertThatThrownBy(() -> fs.stat("/self")).hasMessageContaining("too many levels");
            assertThat(fs.readlink("/a")).isEqualTo("b");
        }
    }
}
