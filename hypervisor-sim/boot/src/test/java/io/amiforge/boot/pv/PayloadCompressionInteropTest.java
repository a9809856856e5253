package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every bzImage payload compression, made by the real tool with the options Linux's build uses
 * ({@code scripts/Makefile.lib}: {@code xz --check=crc32 --x86}, {@code lz4 -l}, ...), holding a
 * kernel ELF larger than one 8 MiB LZ4 legacy block.
 */
@Tag("interop")
class PayloadCompressionInteropTest {

    @TempDir
    Path dir;

    static byte[] bigKernel() {
        byte[] elf = TinyPvKernel.elf("compressed");
        byte[] out = new byte[9 << 20];
        System.arraycopy(elf, 0, out, 0, elf.length);
        // Compressible but not trivial filler after the ELF (as symbols and relocs follow a real vmlinux).
        byte[] line = "0123456789abcdef call 0xffffffff81000000 ".getBytes(StandardCharsets.US_ASCII);
        for (int i = elf.length, n = 0; i < out.length; i++, n++) {
            out[i] = (byte) (line[n % line.length] ^ (n >> 12));
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "gzip  | gzip   | gzip -n -9 -c",
        "bzip2 | bzip2  | bzip2 -9 -c",
        "xz    | xz     | xz --format=xz --check=crc32 --x86 --lzma2=preset=6,dict=32MiB -c",
        "lzma  | xz     | xz --format=lzma -9 -c",
        "lz4   | lz4    | lz4 -l -9 -c",
        "zstd  | zstd   | zstd -19 -c"})
    void decompressesWhatTheToolMade(String format, String tool, String command) throws IOException {
        Interop.tool(tool);
        byte[] elf = bigKernel();
        Path in = dir.resolve("vmlinux.bin");
        Files.write(in, elf);
        Path out = dir.resolve("payload");
        Processes.run(List.of("sh", "-c", command + " < " + in + " > " + out)).orFail();
        byte[] image = BzImages.wrap(Files.readAllBytes(out), elf.length);

        KernelImage k = KernelImage.read("/boot/vmlinuz", image, 64 << 20);
        assertThat(k.compression().wireName()).isEqualTo(format);
        assertThat(k.elf().data()).isEqualTo(elf);
        assertThat(k.version()).isEqualTo("Linux version amiforge-pv compressed");
        assertThat(k.notes().number(XenNoteType.ENTRY)).isEqualTo(TinyPvKernel.VIRT_BASE_64 + TinyPvKernel.LOAD_PADDR);
        assertThat(k.facts()).doesNotContainKey("sizeTrailerMismatch");
    }
}
