package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** bzImage payload handling with the JDK's gzip as the outside encoder. */
class BzImageTest {

    static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        }
        return out.toByteArray();
    }

    @Test
    void gzipPayloadHoldsTheElfAndItsNotes() throws IOException {
        byte[] elf = TinyPvKernel.elf("gz");
        KernelImage k = KernelImage.read("/boot/vmlinuz", BzImages.wrap(gzip(elf), elf.length), 64 << 20);
        assertThat(k.format()).isEqualTo("bzImage");
        assertThat(k.compression()).isEqualTo(PayloadCompression.GZIP);
        assertThat(k.setupBytes()).isEqualTo(4 * 512);
        assertThat(k.elf().data()).isEqualTo(elf);
        assertThat(k.version()).isEqualTo("Linux version amiforge-pv gz");
        assertThat(k.notes().string(XenNoteType.GUEST_OS)).isEqualTo("linux");
        assertThat(k.facts()).containsEntry("bootProtocol", "2.15").doesNotContainKey("sizeTrailerMismatch");
    }

    @Test
    void headerVersionIsTheFallbackWhenTheElfHasNoBanner() throws IOException {
        byte[] elf = TinyPvKernel.elf("x");
        // Blank out the banner inside the ELF.
        for (int i = 0x1080; i < 0x1080 + 14; i++) {
            elf[i] = 'z';
        }
        KernelImage k = KernelImage.read("/k", BzImages.wrap(gzip(elf), elf.length), 64 << 20);
        assertThat(k.version()).isEqualTo("Linux version 6.99.0-test (builder@amiforge) #1");
    }

    @Test
    void oldProtocolTruncatedPayloadAndUnknownCompressionAreNamed() throws IOException {
        byte[] elf = TinyPvKernel.elf("x");
        byte[] img = BzImages.wrap(gzip(elf), elf.length);
        byte[] old = img.clone();
        old[0x206] = 0x04;
        assertThatThrownBy(() -> KernelImage.read("/k", old, 1 << 20)).hasMessageContaining("offset 0x206")
                .hasMessageContaining("boot protocol 2.04 predates payload_offset");
        byte[] cut = java.util.Arrays.copyOf(img, img.length - 40);
        assertThatThrownBy(() -> KernelImage.read("/k", cut, 1 << 20)).hasMessageContaining("offset 0x248")
                .hasMessageContaining("truncated kernel");
        byte[] unknown = img.clone();
        unknown[4 * 512 + BzImages.PAYLOAD_OFFSET] = 0x42;
        assertThatThrownBy(() -> KernelImage.read("/k", unknown, 1 << 20)).hasMessageContaining("unknown payload compression");
        byte[] corrupt = img.clone();
        for (int i = 0; i < 64; i++) {
            corrupt[4 * 512 + BzImages.PAYLOAD_OFFSET + 20 + i] ^= 0x5a;
        }
        assertThatThrownBy(() -> KernelImage.read("/k", corrupt, 1 << 20))
                .isInstanceOfSatisfying(PvBootException.class, e -> assertThat(e.code()).isEqualTo("CorruptKernelPayload"))
                .hasMessageContaining("payload at file offset 0x920");
    }

    @Test
    void decompressionIsBoundedByTheGuest() throws IOException {
        byte[] big = new byte[8 << 20];
        byte[] elf = TinyPvKernel.elf("x");
        System.arraycopy(elf, 0, big, 0, elf.length);
        byte[] img = BzImages.wrap(gzip(big), big.length);
        assertThatThrownBy(() -> KernelImage.read("/k", img, 1 << 20))
                .isInstanceOfSatisfying(PvBootException.class, e -> assertThat(e.code()).isEqualTo("KernelTooLarge"))
                .hasMessageContaining("more than 1048576 bytes");
    }
}
