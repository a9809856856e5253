package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.tukaani.xz.FilterOptions;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.X86Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

/** Mutated menu.lst text and kernel bytes: every outcome is a report, never an exception. */
class PvBootFuzzProperties {

    static final String MENU = """
            default 0
            fallback 1 2
            timeout 3
            title one
              root (hd0)
              kernel /boot/k console=hvc0
              initrd /boot/initrd
            title two
              kernel /boot/k32
            title three
              root (hd0)
              kernel /boot/link ro
            """;
    static final List<String> LINES = List.of("root (hd0,7)", "kernel /boot/k", "kernel (hd3)/x", "fallback 0 1 2 99",
            "default saved", "default 99999999999", "initrd /boot/k", "initrd /boot/loop", "title", "title =", "hiddenmenu",
            "root (hd0", "kernel --type=netbsd", "chainloader +1", "timeout=-1", "kernel /boot/grub", "=", "#", "savedefault");
    static final byte[] ELF = TinyPvKernel.elf("fuzz");
    static final byte[] ELF32 = TinyPvKernel.elf32("fuzz");
    static final byte[] GZ_IMAGE;
    static final byte[] XZ_IMAGE;
    static final byte[] BZIP2_IMAGE;
    static final byte[] LZMA_IMAGE;
    static final byte[] ZSTD_IMAGE;

    static {
        try {
            GZ_IMAGE = BzImages.wrap(BzImageTest.gzip(ELF), ELF.length);
            ByteArrayOutputStream xz = new ByteArrayOutputStream();
            try (XZOutputStream out = new XZOutputStream(xz, new FilterOptions[] {new X86Options(), new LZMA2Options()}, XZ.CHECK_CRC32)) {
                out.write(ELF);
            }
            XZ_IMAGE = BzImages.wrap(xz.toByteArray(), ELF.length);
            ByteArrayOutputStream bz = new ByteArrayOutputStream();
            try (var out = new org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream(bz)) {
                out.write(ELF);
            }
            BZIP2_IMAGE = BzImages.wrap(bz.toByteArray(), ELF.length);
            ByteArrayOutputStream lz = new ByteArrayOutputStream();
            try (var out = new org.tukaani.xz.LZMAOutputStream(lz, new LZMA2Options(), -1)) {
                out.write(ELF);
            }
            LZMA_IMAGE = BzImages.wrap(lz.toByteArray(), ELF.length);
            ZSTD_IMAGE = BzImages.wrap(com.github.luben.zstd.Zstd.compress(ELF, 19), ELF.length);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static BootReport boot(String menu, byte[] kernel) {
        InMemoryGuestFileSystem fs = new InMemoryGuestFileSystem()
                .file("/boot/grub/menu.lst", menu)
                .file("/boot/k", kernel)
                .file("/boot/k32", ELF32)
                .file("/boot/initrd", new byte[3000])
                .symlink("/boot/link", "k")
                .symlink("/boot/loop", "loop");
        return PvGrub.boot(new MemoryBlockDevice("fuzz", 4096),
                new PvBootOptions(PvBootOptions.Architecture.X86_64, 32, d -> List.of(), d -> fs));
    }

    @net.jqwik.api.Example
    void unmutatedKernelsBoot() {
        for (byte[] k : List.of(ELF, GZ_IMAGE, XZ_IMAGE, BZIP2_IMAGE, LZMA_IMAGE, ZSTD_IMAGE)) {
            assertThat(boot(MENU, k).result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        }
    }

    static void assertIsAReport(BootReport r) {
        assertThat(r).isNotNull();
        assertThat(r.mode()).isEqualTo("pv");
        assertThat(r.result()).isIn(BootReport.Result.KERNEL_HANDOFF, BootReport.Result.FAILED);
        if (r.result() == BootReport.Result.FAILED) {
            assertThat(r.error()).isNotBlank();
            assertThat(r.error()).doesNotContain("PV-GRUB stopped:"); // no unexpected host exception was caught
        } else {
            assertThat(r.kernel()).isNotNull();
            assertThat(r.error()).isNull();
        }
    }

    @Property(tries = 300)
    void mutatedMenuLst(@ForAll("menuEdits") List<Edit> edits) {
        List<String> lines = new ArrayList<>(MENU.lines().toList());
        for (Edit e : edits) {
            e.apply(lines);
        }
        assertIsAReport(boot(String.join("\n", lines), ELF));
    }

    @Property(tries = 300)
    void mutatedKernelBytes(@ForAll("kernels") byte[] base, @ForAll("byteEdits") List<int[]> edits, @ForAll("cuts") int cut) {
        byte[] k = base.clone();
        for (int[] e : edits) {
            int at = Math.floorMod(e[0], k.length);
            if (e[2] == 0) {
                k[at] = (byte) e[1];
            } else {
                // A hostile 32-bit value, as in a size or offset field.
                for (int i = 0; i < 4 && at + i < k.length; i++) {
                    k[at + i] = (byte) (e[1] >>> (8 * i));
                }
            }
        }
        if (cut > 0) {
            k = Arrays.copyOf(k, Math.max(0, k.length - cut));
        }
        assertIsAReport(boot(MENU, k));
    }

    @Provide
    Arbitrary<byte[]> kernels() {
        return Arbitraries.of(ELF, GZ_IMAGE, XZ_IMAGE, BZIP2_IMAGE, LZMA_IMAGE, ZSTD_IMAGE);
    }

    @Provide
    Arbitrary<List<int[]>> byteEdits() {
        Arbitrary<int[]> one = Combinators.combine(
                Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(3, Arbitraries.integers().between(0, 0x300)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0x900, 0xa00)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 1 << 14))),
                Arbitraries.integers().filter(i -> true),
                Arbitraries.integers().between(0, 1)).as((a, v, k) -> new int[] {a, v, k});
        return one.list().ofMinSize(1).ofMaxSize(6);
    }

    @Provide
    Arbitrary<Integer> cuts() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.just(0)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(1, 9000)));
    }

    /** One edit of menu.lst's lines. */
    record Edit(int kind, int line, int pos, String text) {
        void apply(List<String> lines) {
            if (lines.isEmpty()) {
                lines.add(text);
                return;
            }
            int i = Math.floorMod(line, lines.size());
            switch (kind) {
                case 0 -> lines.remove(i);
                case 1 -> lines.add(i, text);
                case 2 -> lines.add(i, lines.get(i));
                default -> {
                    String l = lines.get(i);
                    int p = l.isEmpty() ? 0 : Math.floorMod(pos, l.length());
                    lines.set(i, l.substring(0, p) + text.charAt(0) + (l.isEmpty() ? "" : l.substring(p + 1)));
                }
            }
        }
    }

    @Provide
    Arbitrary<List<Edit>> menuEdits() {
        Arbitrary<String> text = Arbitraries.oneOf(Arbitraries.of(LINES),
                Arbitraries.strings().withChars("() ,=#\t0123456789hdtilekrnoa/\u00e9").ofMinLength(1).ofMaxLength(12));
        return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers(), Arbitraries.integers(), text)
                .as(Edit::new).list().ofMinSize(1).ofMaxSize(8);
    }
}
