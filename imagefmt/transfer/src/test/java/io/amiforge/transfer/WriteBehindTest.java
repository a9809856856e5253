package io.amiforge.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WriteBehind}: on Linux the kernel accepts the write-back of a range just written (and the
 * file's bytes are what was written); an empty range, a file that cannot be opened and a closed
 * instance are no-ops that answer false, never an error; the file is opened at the first
 * {@code start}, not before (an export whose writes bypass the page cache never opens it).
 */
class WriteBehindTest {

    @TempDir
    Path dir;

    @Test
    void theKernelTakesARangeJustWritten() throws IOException {
        Path file = dir.resolve("f.raw");
        byte[] bytes = new byte[1 << 20];
        Arrays.fill(bytes, (byte) 0x5a);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                WriteBehind behind = WriteBehind.open(file)) {
            out.write(ByteBuffer.wrap(bytes), 4096);
            assertThat(behind.active()).as("sync_file_range bound on Linux").isTrue();
            assertThat(behind.start(4096, bytes.length)).as("write-back of the written range").isTrue();
            assertThat(behind.start(4096, 0)).as("an empty range").isFalse();
            out.force(false);
        }
        byte[] got = Files.readAllBytes(file);
        assertThat(got).hasSize(4096 + bytes.length);
        assertThat(Arrays.copyOfRange(got, 4096, got.length)).isEqualTo(bytes);
    }

    @Test
    void aFileThatCannotBeOpenedGivesAnInactiveWriteBehind() {
        try (WriteBehind behind = WriteBehind.open(dir.resolve("missing").resolve("f.raw"))) {
            assertThat(behind.active()).isFalse();
            assertThat(behind.start(0, 4096)).isFalse();
        }
    }

    @Test
    void aClosedWriteBehindStartsNothing() throws IOException {
        Path file = Files.createFile(dir.resolve("g.raw"));
        WriteBehind behind = WriteBehind.open(file);
        behind.close();
        behind.close(); // twice: the descriptor is closed once
        assertThat(behind.start(0, 4096)).isFalse();
    }

    @Test
    void theFileIsOpenedAtTheFirstStartAndClosedByClose() throws IOException {
        Path file = Files.createFile(dir.resolve("h.raw"));
        long before = descriptorsOf(file);
        try (WriteBehind behind = WriteBehind.open(file)) {
            assertThat(descriptorsOf(file)).as("nothing opened by open").isEqualTo(before);
            behind.start(0, 4096);
            assertThat(descriptorsOf(file)).as("opened by the first start").isEqualTo(before + 1);
            behind.start(0, 4096);
            assertThat(descriptorsOf(file)).as("opened once").isEqualTo(before + 1);
        }
        assertThat(descriptorsOf(file)).as("closed by close").isEqualTo(before);
    }

    /** How many of this process's descriptors are open on {@code file} (Linux). */
    private static long descriptorsOf(Path file) throws IOException {
        Path real = file.toRealPath();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).equals(real);
                } catch (IOException e) {
                    return false; // closed while listing (the listing's own descriptor)
                }
            }).count();
        }
    }
}
