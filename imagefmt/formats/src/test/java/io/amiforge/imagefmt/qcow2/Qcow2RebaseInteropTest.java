package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Qcow2Rebase}, safe and unsafe, on qemu-made chains: qemu-img reads the same content and check stays clean. */
@Tag("interop")
class Qcow2RebaseInteropTest {

    private static final long SIZE = 8L << 20;

    @TempDir
    Path dir;

    private Path top;
    private Path expected;

    private void chain(String compat) throws IOException {
        Qemu.patternRaw(dir.resolve("base.raw"), SIZE, 31);
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "compat=" + compat, "-b", "base.raw", "-F", "raw", "mid.qcow2").orFail();
        Qemu.io(dir, dir.resolve("mid.qcow2"), "qcow2", "write -P 0x11 1M 2M", "write -z 5M 64k").orFail();
        top = dir.resolve("top.qcow2");
        Qemu.img(dir, "create", "-f", "qcow2", "-o", "compat=" + compat, "-b", "mid.qcow2", "-F", "qcow2", "top.qcow2").orFail();
        Qemu.io(dir, top, "qcow2", "write -P 0x22 2M 100k", "write -P 0x23 7M 4k").orFail();
        expected = Qemu.qemuRaw(top);
    }

    @Test
    void safeRebaseOntoTheBaseCopiesWhatTheMiddleLayerGave() throws IOException {
        chain("1.1");
        AtomicLong compared = new AtomicLong();
        Qcow2Rebase.rebase(ImageSource.of(top), "base.raw", "raw", false, compared::addAndGet);
        assertThat(compared.get()).isEqualTo(SIZE);
        ImageInfo info = ImageFormats.info(top);
        assertThat(info.backingFile()).isEqualTo("base.raw");
        assertThat(info.backingFormat()).isEqualTo("raw");
        assertThat(Qemu.img(dir, "info", top.toString()).output()).contains("backing file: base.raw").contains("backing file format: raw");
        Qemu.check(top);
        Qemu.compare(top, expected);
    }

    @Test
    void safeRebaseOntoNothingMakesAStandaloneImage() throws IOException {
        chain("0.10");
        Qcow2Rebase.rebase(ImageSource.of(top), "", null, false, n -> { });
        assertThat(ImageFormats.info(top).backingFile()).isNull();
        assertThat(ImageFormats.info(top).backingChain()).hasSize(1);
        Qemu.check(top);
        Qemu.compare(top, expected);
    }

    @Test
    void unsafeRebaseOnlyRenamesTheBackingFile() throws IOException {
        chain("1.1");
        byte[] before = Files.readAllBytes(top);
        Files.move(dir.resolve("mid.qcow2"), dir.resolve("renamed-middle.qcow2"));
        Qcow2Rebase.rebase(ImageSource.of(top), "renamed-middle.qcow2", null, true, n -> { });
        assertThat(ImageFormats.info(top).backingFormat()).isEqualTo("qcow2"); // probed and recorded
        Qemu.check(top);
        Qemu.compare(top, expected);
        byte[] after = Files.readAllBytes(top);
        assertThat(java.util.Arrays.mismatch(before, 65536, before.length, after, 65536, after.length)).as("only the header cluster changes")
                .isEqualTo(-1);
    }

    @Test
    void aNewBackingFileOutsideTheRuleIsRefusedAndNothingChanges() throws IOException {
        chain("1.1");
        byte[] before = Files.readAllBytes(top);
        assertThatThrownBy(() -> Qcow2Rebase.rebase(ImageSource.of(top), "/etc/passwd", "raw", false, n -> { }))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("absolute path");
        assertThatThrownBy(() -> Qcow2Rebase.rebase(ImageSource.of(top), "../x.raw", "raw", true, n -> { }))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("'..'");
        assertThat(Files.readAllBytes(top)).isEqualTo(before);
    }
}
