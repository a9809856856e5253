package io.amiforge.imagefmt.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Outputs appear whole or not at all, and an existing file survives a failed write. */
class OutputFileTest {

    @TempDir
    Path dir;

    private String[] names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
        }
    }

    @Test
    void aWriterThatFailsHalfWayLeavesTheOldFileAndNoTemporary() throws Exception {
        Path target = dir.resolve("disk.raw");
        Files.writeString(target, "old");
        assertThatThrownBy(() -> OutputFile.write(target, temp -> {
            try {
                assertThat(temp.getParent()).isEqualTo(dir.toAbsolutePath());
                Files.writeString(temp, "half of the new");
                // while the writer runs, the target still holds the old bytes
                assertThat(Files.readString(target)).isEqualTo("old");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw new IllegalStateException("disk full");
        })).hasMessage("disk full");
        assertThat(Files.readString(target)).isEqualTo("old");
        assertThat(names()).containsExactly("disk.raw");
    }

    @Test
    void aFinishedWriteReplacesTheTargetKeepingItsPermissions() throws Exception {
        Path target = dir.resolve("disk.raw");
        Files.writeString(target, "old");
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-r-----"));
        int result = OutputFile.write(target, temp -> {
            try {
                Files.writeString(temp, "new");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return 7;
        });
        assertThat(result).isEqualTo(7);
        assertThat(Files.readString(target)).isEqualTo("new");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-r-----");
        assertThat(names()).containsExactly("disk.raw");
        Path fresh = dir.resolve("fresh.raw");
        OutputFile.write(fresh, temp -> null);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(fresh))).isEqualTo("rw-r--r--");
    }

    @Test
    void aMissingDirectoryIsNamed() {
        Path target = dir.resolve("nope").resolve("disk.raw");
        assertThatThrownBy(() -> OutputFile.write(target, temp -> null)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("does not exist").hasMessageContaining("nope");
    }
}
