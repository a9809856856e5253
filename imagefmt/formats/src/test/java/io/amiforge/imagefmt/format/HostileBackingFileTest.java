package io.amiforge.imagefmt.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.qcow2.Qcow2Writer;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Images written by an attacker: a qcow2 header whose backing file name points at a secret, a
 * device, a FIFO, /proc, or out of the image's directory. Each is refused by open and info
 * alike, with InvalidBackingChain, naming the image and the backing name, never echoing the
 * refused file's bytes.
 */
class HostileBackingFileTest {

    private static final String SECRET = "TOP-SECRET-KEY-MATERIAL";

    @TempDir
    Path root;

    private Path images;
    private Path outside;

    @BeforeEach
    void layout() throws Exception {
        images = Files.createDirectories(root.resolve("images"));
        outside = Files.createDirectories(root.resolve("private"));
        Files.writeString(outside.resolve("secret.raw"), SECRET.repeat(100));
    }

    /** A qcow2 image in {@code images} whose header names {@code backing} (format raw unless null). */
    private Path hostile(String backing, String format) {
        Path image = images.resolve("evil.qcow2");
        Qcow2Writer.create(image, 1 << 20, CreateOptions.defaults().withBacking(backing, format)).close();
        return image;
    }

    private AbstractThrowableAssert<?, ? extends Throwable> refused(ImageSource source, String backing, String why) {
        assertThatThrownBy(() -> ImageFormats.info(source)).isInstanceOf(ImageFormatException.class)
                .hasMessageContaining(why).hasMessageNotContaining(SECRET);
        return assertThatThrownBy(() -> ImageFormats.open(source, true).close())
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining(source.file().toString())
                .hasMessageContaining(backing)
                .hasMessageContaining(why)
                .hasMessageNotContaining(SECRET)
                .satisfies(e -> {
                    assertThat(((AmiforgeException) e).code()).isEqualTo("InvalidBackingChain");
                    assertThat(((AmiforgeException) e).kind()).isEqualTo(AmiforgeException.Kind.INVALID_INPUT);
                });
    }

    @Test
    void absoluteBackingPathIsRefusedWhetherTheFormatIsProbedOrNamed() {
        String target = outside.resolve("secret.raw").toString();
        Path image = hostile(target, "raw");
        refused(ImageSource.of(image), target, "is an absolute path");
        refused(ImageSource.of(image).withFormat("qcow2"), target, "is an absolute path");
    }

    @Test
    void absolutePathToEtcOrProcIsRefused() {
        refused(ImageSource.of(hostile("/etc/passwd", "raw")), "/etc/passwd", "is an absolute path");
        refused(ImageSource.of(hostile("/proc/self/environ", null)), "/proc/self/environ", "is an absolute path");
    }

    @Test
    void dotDotIsRefusedEvenWhenItStaysInside() throws Exception {
        refused(ImageSource.of(hostile("../private/secret.raw", "raw")), "../private/secret.raw", "'..' component");
        Files.createDirectories(images.resolve("sub"));
        Files.writeString(images.resolve("inside.raw"), "x".repeat(4096));
        refused(ImageSource.of(hostile("sub/../inside.raw", "raw")), "sub/../inside.raw", "'..' component");
    }

    @Test
    void symlinkLeadingOutsideIsRefusedAndOneStayingInsideIsFollowed() throws Exception {
        Files.createSymbolicLink(images.resolve("link.raw"), outside.resolve("secret.raw"));
        refused(ImageSource.of(hostile("link.raw", "raw")), "link.raw", "outside the top image's directory");

        Files.write(images.resolve("base.raw"), new byte[1 << 20]);
        Files.createSymbolicLink(images.resolve("alias.raw"), images.resolve("base.raw"));
        Path image = hostile("alias.raw", "raw");
        assertThat(ImageFormats.info(image).backingChain()).hasSize(2);
    }

    @Test
    void symlinkIntoProcOrDevIsRefused() throws Exception {
        Files.createSymbolicLink(images.resolve("environ"), Path.of("/proc/self/environ"));
        refused(ImageSource.of(hostile("environ", "raw")), "environ", "leads into /proc");
        Files.delete(images.resolve("evil.qcow2"));
        Files.createSymbolicLink(images.resolve("zero"), Path.of("/dev/zero"));
        refused(ImageSource.of(hostile("zero", "raw")), "zero", "leads into /dev");
        Files.delete(images.resolve("evil.qcow2"));
        // Naming /dev as the backing directory does not make devices acceptable.
        refused(ImageSource.of(hostile("/dev/zero", "raw")).withBackingDir(Path.of("/dev")), "/dev/zero", "leads into /dev");
    }

    @Test
    void fifoSocketOrDirectoryIsRefusedWithoutOpeningIt() throws Exception {
        Path fifo = images.resolve("pipe");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mkfifo.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(mkfifo.exitValue()).isZero();
        // Opening a FIFO for reading would block forever: the rule must refuse it first.
        refused(ImageSource.of(hostile("pipe", "raw")), "pipe", "not a regular file");
        Files.createDirectories(images.resolve("dir.raw"));
        Files.delete(images.resolve("evil.qcow2"));
        refused(ImageSource.of(hostile("dir.raw", "raw")), "dir.raw", "a directory");
    }

    @Test
    void theBackingDirectoryAllowsAbsoluteNamesInsideItOnly() throws Exception {
        Path library = Files.createDirectories(root.resolve("library"));
        Files.write(library.resolve("base.raw"), new byte[1 << 20]);
        Path image = hostile(library.resolve("base.raw").toString(), "raw");
        refused(ImageSource.of(image), library.resolve("base.raw").toString(), "is an absolute path");
        assertThat(ImageFormats.info(ImageSource.of(image).withBackingDir(library)).backingChain()).hasSize(2);
        // ...but the secret next door is still out of bounds.
        Files.delete(image);
        Path other = hostile(outside.resolve("secret.raw").toString(), "raw");
        refused(ImageSource.of(other).withBackingDir(library), "secret.raw", "outside the allowed directories");
    }

    @Test
    void aNamedRawFormatNeverFollowsTheBackingFileAGuestWrote() throws Exception {
        // A guest wrote a qcow2 header naming a secret into the first sector of its raw disk.
        Path header = hostile(outside.resolve("secret.raw").toString(), "raw");
        Path disk = images.resolve("guest.raw");
        byte[] bytes = new byte[1 << 20];
        byte[] first = Files.readAllBytes(header);
        System.arraycopy(first, 0, bytes, 0, Math.min(first.length, bytes.length));
        Files.write(disk, bytes);
        refused(ImageSource.of(disk), "secret.raw", "is an absolute path"); // probed: qcow2, refused
        ImageSource raw = ImageSource.of(disk).withFormat("raw");
        assertThat(ImageFormats.info(raw).backingChain()).hasSize(1);
        assertThat(ImageFormats.info(raw).format()).isEqualTo("raw");
        try (BlockDevice device = ImageFormats.open(raw, true); Arena arena = Arena.ofConfined()) {
            assertThat(device.size()).isEqualTo(bytes.length);
            MemorySegment read = arena.allocate(bytes.length);
            device.read(0, read);
            assertThat(read.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(bytes);
        }
    }

    @Test
    void subdirectoriesOfTheImageDirectoryAreAllowed() throws Exception {
        Path sub = Files.createDirectories(images.resolve("layers"));
        Files.write(sub.resolve("base.raw"), new byte[1 << 20]);
        assertThat(ImageFormats.chainFiles(hostile("layers/base.raw", "raw")))
                .last().isEqualTo(sub.resolve("base.raw").toRealPath());
    }

    @Test
    void controlCharactersInTheNameAreEscapedInTheMessage() {
        String name = "a\u001b[2Jb\nc.raw";
        Path image = hostile(name, "raw");
        assertThatThrownBy(() -> ImageFormats.open(image, true)).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining("a\\x1b[2Jb\\x0ac.raw").hasMessageNotContaining("\u001b").hasMessageNotContaining("\n");
    }

    @Test
    void aSecretThatPassesTheRuleIsStillNeverQuoted() throws Exception {
        // A file in the image's directory that is not a valid image: the probe's error names it, not its bytes.
        Files.writeString(images.resolve("notes.txt"), SECRET);
        Path image = hostile("notes.txt", "qcow2");
        assertThatThrownBy(() -> ImageFormats.open(image, true)).isInstanceOf(AmiforgeException.class)
                .hasMessageNotContaining(SECRET);
        assertThat(SECRET.getBytes(StandardCharsets.US_ASCII)).hasSizeGreaterThan(8);
    }
}
