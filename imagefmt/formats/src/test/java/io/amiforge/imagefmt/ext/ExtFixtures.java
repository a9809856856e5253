package io.amiforge.imagefmt.ext;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** Source trees for filesystem tests, e2fsprogs runs, and a tree-against-filesystem comparison. */
final class ExtFixtures {

    static final long BIG_SPARSE_SIZE = 5L << 30;
    static final long[] BIG_SPARSE_DATA = {0, 3L << 20, 300L << 20, 4L << 30, (9L << 29) + 12345, BIG_SPARSE_SIZE - 100};

    private ExtFixtures() {
    }

    /** A tree with every kind of entry: sizes around block edges, holes, symlinks, deep dirs, odd modes and owners. */
    static Path sourceTree(Path root, boolean bigSparse, int hugeDirEntries) throws IOException {
        Files.createDirectories(root);
        Random random = new Random(42);
        int[] sizes = {0, 1, 59, 60, 1023, 1024, 1025, 4095, 4096, 4097, 12 * 4096 + 1, 70_000, 1_100_000, 5_300_000};
        Path files = Files.createDirectories(root.resolve("files"));
        for (int size : sizes) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            Files.write(files.resolve("f" + size), data);
        }
        try (RandomAccessFile f = new RandomAccessFile(root.resolve("files/sparse").toFile(), "rw")) {
            f.setLength(3_000_000);
            f.seek(1_500_000);
            f.write("in the middle of holes".getBytes());
        }
        if (bigSparse) {
            try (RandomAccessFile f = new RandomAccessFile(root.resolve("big-sparse").toFile(), "rw")) {
                f.setLength(BIG_SPARSE_SIZE);
                for (long at : BIG_SPARSE_DATA) {
                    f.seek(at);
                    f.write(("data at " + at + "\n").repeat(5).getBytes());
                }
            }
        }
        Path deep = root;
        for (int i = 0; i < 12; i++) {
            deep = Files.createDirectories(deep.resolve("d" + i));
        }
        Files.writeString(deep.resolve("leaf.txt"), "deep leaf\n");
        Files.createSymbolicLink(root.resolve("fast-link"), Path.of("files/f4096"));
        Files.createSymbolicLink(root.resolve("abs-link"), Path.of("/files/f1"));
        Files.createSymbolicLink(root.resolve("slow-link"), Path.of("./".repeat(30) + "d0/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/leaf.txt"));
        Files.createSymbolicLink(root.resolve("dir-link"), Path.of("d0/d1"));
        Files.createSymbolicLink(root.resolve("dangling"), Path.of("nowhere/at/all"));
        Path modes = Files.createDirectories(root.resolve("modes"));
        for (String m : List.of("0600", "0755", "4755", "2750", "1777", "0444")) {
            Path p = modes.resolve("m" + m);
            Files.writeString(p, m);
            Processes.run(List.of("chmod", m, p.toString())).orFail();
        }
        // owners other than ours need root; without it the tree keeps our own uid/gid (still compared)
        Processes.run(List.of("chown", "1234:5678", modes.resolve("m0600").toString()));
        Processes.run(List.of("chown", "-h", "99:98", root.resolve("fast-link").toString()));
        Files.setLastModifiedTime(modes.resolve("m0444"), FileTime.fromMillis(1_000_000_000_000L));
        if (hugeDirEntries > 0) {
            Path huge = Files.createDirectories(root.resolve("huge"));
            for (int i = 0; i < hugeDirEntries; i++) {
                Files.writeString(huge.resolve("entry-with-a-longish-name-" + i), Integer.toString(i));
            }
        }
        Files.writeString(root.resolve("ünïcödé name.txt"), "utf-8 names\n");
        return root;
    }

    static void run(String... command) {
        List<String> c = new ArrayList<>(Arrays.asList(command));
        c.set(0, Interop.tool(command[0]).toString());
        Processes.run(c).orFail();
    }

    static String output(String... command) {
        List<String> c = new ArrayList<>(Arrays.asList(command));
        c.set(0, Interop.tool(command[0]).toString());
        return Processes.run(c).orFail().stdoutText();
    }

    /** Checks that every entry under {@code source} reads back from {@code fs} identically. */
    static void assertSameTree(Path source, ExtFileSystem fs, boolean compareOwners) throws IOException {
        assertSameTree(source, fs, compareOwners, java.util.Set.of());
    }

    /** As above, leaving out the paths in {@code skip} (known deviations of the tool that made the image). */
    static void assertSameTree(Path source, ExtFileSystem fs, boolean compareOwners, java.util.Set<String> skip) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(source)) {
            all = s.toList();
        }
        for (Path p : all) {
            String rel = "/" + source.relativize(p).toString().replace('\\', '/');
            if (skip.contains(rel)) {
                continue;
            }
            if (rel.startsWith("/huge/") && Math.floorMod(rel.hashCode(), 40) != 0) {
                continue; // every name of the huge directory is compared by its listing; a sample in depth
            }
            FileStat st = fs.lstat(rel);
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (Files.isSymbolicLink(p)) {
                assertThat(st.type()).as(rel).isEqualTo(FileType.SYMLINK);
                assertThat(fs.readlink(rel)).as(rel).isEqualTo(Files.readSymbolicLink(p).toString());
            } else if (Files.isDirectory(p)) {
                assertThat(st.type()).as(rel).isEqualTo(FileType.DIRECTORY);
                assertThat(st.mode()).as(rel).isEqualTo(mode & 07777);
                try (Stream<Path> s = Files.list(p)) {
                    List<String> expected = new ArrayList<>(s.map(c -> c.getFileName().toString()).toList());
                    if (rel.equals("/")) {
                        expected.add("lost+found");
                    }
                    assertThat(fs.list(rel)).as(rel).extracting(DirEntry::name).containsExactlyInAnyOrderElementsOf(expected);
                }
            } else {
                assertThat(st.type()).as(rel).isEqualTo(FileType.REGULAR);
                assertThat(st.mode()).as(rel).isEqualTo(mode & 07777);
                assertThat(st.size()).as(rel).isEqualTo(Files.size(p));
                assertThat(st.mtime().getEpochSecond()).as(rel).isEqualTo(Files.getLastModifiedTime(p).toInstant().getEpochSecond());
                if (Files.size(p) > 100_000_000) {
                    assertSparseRegions(p, fs, rel);
                } else {
                    try (InputStream in = fs.openStream(rel)) {
                        assertThat(in.readAllBytes()).as(rel).isEqualTo(Files.readAllBytes(p));
                    }
                }
            }
            if (compareOwners) {
                assertThat(st.uid()).as(rel).isEqualTo(((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue());
                assertThat(st.gid()).as(rel).isEqualTo(((Number) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue());
            }
        }
    }

    private static void assertSparseRegions(Path p, ExtFileSystem fs, String rel) throws IOException {
        ExtFileSystem.ExtFile file = fs.openFile(rel);
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            List<Long> probes = new ArrayList<>();
            for (long at : BIG_SPARSE_DATA) {
                probes.add(Math.max(0, at - 1000));
            }
            probes.add(1L << 31);
            probes.add((1L << 32) - 5000);
            for (long at : probes) {
                int len = (int) Math.min(70_000, f.length() - at);
                byte[] expected = new byte[len];
                f.seek(at);
                f.readFully(expected);
                byte[] actual = new byte[len];
                assertThat(file.read(at, actual, 0, len)).isEqualTo(len);
                assertThat(actual).as(rel + " at " + at).isEqualTo(expected);
            }
        }
    }
}
