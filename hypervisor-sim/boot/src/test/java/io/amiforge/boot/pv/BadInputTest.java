package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tukaani.xz.FilterOptions;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.X86Options;
import org.tukaani.xz.XZ;
import org.tukaani.xz.XZOutputStream;

/** Every bad input is a failed report naming the line or offset: never an exception, never an OOM. */
class BadInputTest {

    static final BlockDevice DISK = new MemoryBlockDevice("vol-bad", 4096);
    static final String MENU = "title t\nroot (hd0)\nkernel /boot/k ro\n";

    static BootReport boot(InMemoryGuestFileSystem fs) {
        return boot(fs, 64);
    }

    static BootReport boot(InMemoryGuestFileSystem fs, long mib) {
        return PvGrub.boot(DISK, new PvBootOptions(PvBootOptions.Architecture.X86_64, mib, d -> List.of(), d -> fs));
    }

    static BootReport bootKernel(byte[] kernel) {
        return boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", MENU).file("/boot/k", kernel));
    }

    static void assertFailed(BootReport r, String... fragments) {
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.kernel()).isNull();
        assertThat(r.error()).contains(fragments);
        assertThat(r.stages().getLast().name()).isEqualTo("failed");
    }

    @Test
    void missingEmptyAndDirectoryMenuLst() {
        assertFailed(boot(new InMemoryGuestFileSystem().dir("/boot/grub")), "(hd0)/boot/grub/menu.lst", "Error 15: File not found");
        assertFailed(boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "")), "(hd0)/boot/grub/menu.lst: the file is empty");
        assertFailed(boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "timeout 5\n# nothing\n")),
                "no 'title' entries in 20 bytes");
        assertFailed(boot(new InMemoryGuestFileSystem().dir("/boot/grub/menu.lst")), "menu.lst is a directory");
    }

    @Test
    void menuLstInGrubDirectoryOfASeparateBootPartitionIsFound() {
        BootReport r = boot(new InMemoryGuestFileSystem().file("/grub/menu.lst", "title t\nkernel /k\n").file("/k", TinyPvKernel.elf("")));
        assertThat(r.result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
    }

    @Test
    void entryWithoutKernelAndMissingKernelAndSymlinkLoops() {
        assertFailed(boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "title a\nroot (hd0)\n")),
                "menu.lst line 1 (entry 0)", "Error 8: Kernel must be loaded before booting", "has no kernel line");
        assertFailed(boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "\ntitle a\nkernel /boot/nope x\n")),
                "menu.lst line 3: kernel (hd0)/boot/nope", "Error 15: File not found", "'/boot/nope' does not exist");
        assertFailed(boot(new InMemoryGuestFileSystem().symlink("/boot/grub/menu.lst", "grub.conf")
                .symlink("/boot/grub/grub.conf", "/boot/grub/menu.lst")), "too many levels of symbolic links");
        assertFailed(boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", MENU).symlink("/boot/k", "k")),
                "menu.lst line 3", "too many levels of symbolic links");
        assertFailed(boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "title a\nkernel /boot\n")),
                "/boot is a directory");
    }

    @Test
    void everyFailedEntryIsListedWithItsReason() {
        BootReport r = boot(new InMemoryGuestFileSystem().file("/boot/grub/menu.lst",
                "fallback 1 2 7\ntitle a\nkernel /a\ntitle b\nroot (hd1)\nkernel /b\ntitle c\nchainloader +1\n"));
        assertFailed(r, "entry 0 'a': menu.lst line 3: kernel (hd0)/a", "entry 1 'b': menu.lst line 5: Error 21: Selected disk does not exist",
                "entry 2 'c': menu.lst line 8: 'chainloader' is not supported");
        assertThat(r.details().get("entries").toString()).contains("fallback 7 names no entry");
    }

    @Test
    void truncatedElf() {
        byte[] elf = TinyPvKernel.elf("t");
        assertFailed(bootKernel(Arrays.copyOf(elf, 40)), "Error 13", "truncated ELF header: 40 bytes");
        assertFailed(bootKernel(Arrays.copyOf(elf, 0x80)), "offset 0x20", "program headers at 0x40", "truncated ELF?");
        assertFailed(bootKernel(Arrays.copyOf(elf, 0x1800)), "PT_LOAD segment 0 (file offset 0x1000", "run past the end of the image");
        assertFailed(bootKernel(new byte[] {1, 2, 3}), "neither an ELF image");
    }

    @Test
    void absurdSegmentSizesAndBadNotes() {
        byte[] elf = TinyPvKernel.elf("t");
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        byte[] huge = elf.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 40, 0x7fff_ffff_ffffL); // p_memsz of PT_LOAD
        assertFailed(bootKernel(huge), "PT_LOAD segment 0", "of 0x7fffffffffff bytes", "ends past the guest's 64 MiB");
        byte[] neg = elf.clone();
        ByteBuffer.wrap(neg).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 40, -1L);
        assertFailed(bootKernel(neg), "PT_LOAD segment 0", "absurdly large");
        byte[] fileszOverMemsz = elf.clone();
        ByteBuffer.wrap(fileszOverMemsz).order(ByteOrder.LITTLE_ENDIAN).putLong(64 + 32, 0x3000);
        assertFailed(bootKernel(fileszOverMemsz), "p_filesz 0x3000 exceeds p_memsz 0x2000");
        byte[] manyPh = elf.clone();
        ByteBuffer.wrap(manyPh).order(ByteOrder.LITTLE_ENDIAN).putShort(56, (short) 0xffff);
        assertFailed(bootKernel(manyPh), "program headers at 0x40 (65535 x 56 bytes) run past the end");
        byte[] badNote = elf.clone();
        int noteOff = (int) b.getLong(64 + 56 + 8);
        ByteBuffer.wrap(badNote).order(ByteOrder.LITTLE_ENDIAN).putInt(noteOff + 4, 0x7fffffff);
        assertFailed(bootKernel(badNote), "offset 0xb0", "ELF note (namesz 4, descsz 2147483647) runs past the end");
    }

    @Test
    void kernelsThatAreNotXenPv() {
        byte[] elf = TinyPvKernel.elf("t");
        int noteOff = 0xb0;
        byte[] noXen = elf.clone();
        for (int i = noteOff; i < noteOff + 0x100 - 16; i++) {
            if (noXen[i] == 'X' && noXen[i + 1] == 'e' && noXen[i + 2] == 'n') {
                noXen[i + 2] = 'x';
            }
        }
        assertFailed(bootKernel(noXen), "no Xen ELF notes", "CONFIG_XEN_PV");
        byte[] pvhOnly = retype(elf, XenNoteType.ENTRY, XenNoteType.PHYS32_ENTRY);
        assertFailed(bootKernel(pvhOnly), "only a PVH entry point (PHYS32_ENTRY)");
        byte[] xen2 = elf.clone();
        int at = indexOf(xen2, "xen-3.0");
        xen2[at + 4] = '2';
        assertFailed(bootKernel(xen2), "XEN_VERSION is 'xen-2.0', expected 'xen-3.0'");
        byte[] requiresTranslate = elf.clone();
        int f = indexOf(requiresTranslate, "!writable_page_tables");
        byte[] repl = "!auto_translated_phys".getBytes();
        System.arraycopy(repl, 0, requiresTranslate, f, repl.length);
        assertFailed(bootKernel(requiresTranslate), "FEATURES requires auto_translated_phys");
        byte[] entryOutside = elf.clone();
        int e = indexOf(Arrays.copyOfRange(entryOutside, noteOff, entryOutside.length),
                new byte[] {0, 0, 0x10, (byte) 0x80, -1, -1, -1, -1}) + noteOff; // the ENTRY note, not e_entry
        entryOutside[e + 2] = 0x20;
        assertFailed(bootKernel(entryOutside), "ENTRY 0xffffffff80200000 lies outside the loaded kernel");
    }

    @Test
    void truncatedAndCorruptCompressedPayloads() throws IOException {
        byte[] elf = TinyPvKernel.elf("c");
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        try (XZOutputStream out = new XZOutputStream(xz, new FilterOptions[] {new X86Options(), new LZMA2Options()}, XZ.CHECK_CRC32)) {
            out.write(elf);
        }
        byte[] good = BzImages.wrap(xz.toByteArray(), elf.length);
        assertThat(bootKernel(good).result()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        byte[] cut = xz.toByteArray();
        byte[] truncated = BzImages.wrap(Arrays.copyOf(cut, cut.length / 2), elf.length);
        assertFailed(bootKernel(truncated), "payload at file offset 0x920", "xz payload of", "does not decompress (truncated or corrupt?)");
        byte[] gz = BzImageTest.gzip(elf);
        assertFailed(bootKernel(BzImages.wrap(Arrays.copyOf(gz, gz.length - 12), elf.length)), "gzip payload", "does not decompress");
        byte[] corrupt = good.clone();
        corrupt[0x920 + 40] ^= 0x7f;
        assertFailed(bootKernel(corrupt), "payload at file offset 0x920");
        byte[] notElf = BzImages.wrap(BzImageTest.gzip(new byte[5000]), 5000);
        assertFailed(bootKernel(notElf), "the decompressed payload (5000 bytes) is not an ELF image");
        byte[] lz4 = BzImages.wrap(new byte[] {0x02, 0x21, 0x4c, 0x18, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 1, 2}, 100);
        assertFailed(bootKernel(lz4), "lz4 payload", "has length 2147483647");
        byte[] lzo = BzImages.wrap(new byte[] {(byte) 0x89, 'L', 'Z', 'O', 0, 0x0d, 0x0a}, 100);
        assertFailed(bootKernel(lzo), "LZO-compressed");
    }

    @Test
    void filesTooLargeForTheGuest() {
        InMemoryGuestFileSystem fs = new InMemoryGuestFileSystem().file("/boot/grub/menu.lst",
                "title t\nkernel /boot/k\ninitrd /boot/big\n").file("/boot/k", TinyPvKernel.elf("")).file("/boot/big", new byte[15 << 20]);
        assertFailed(boot(fs, 16), "initrd /boot/big (15728640 bytes, 15 MiB) does not fit", "past the guest's 16 MiB");
        InMemoryGuestFileSystem big = new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "title t\nkernel /boot/k\n")
                .file("/boot/k", new byte[17 << 20]);
        assertFailed(boot(big, 16), "/boot/k is 17825792 bytes; at most 16777216 fit");
    }

    @Test
    void partitionAndFilesystemFailuresFromOutside() {
        BootReport p = PvGrub.boot(DISK, new PvBootOptions(PvBootOptions.Architecture.X86_64, 64, d -> {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidPartitionTable", "GPT header CRC mismatch at LBA 1");
        }, d -> null));
        assertFailed(p, "vol-bad: cannot read the partition table: GPT header CRC mismatch at LBA 1");
        BootReport f = PvGrub.boot(DISK, new PvBootOptions(PvBootOptions.Architecture.X86_64, 64, d -> List.of(), d -> {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidFileSystem", "no ext2 superblock magic at offset 0x438");
        }));
        assertFailed(f, "Error 17: Cannot mount selected partition", "no ext2 superblock magic at offset 0x438");
        assertThat(f.console()).contains("Error 17: Cannot mount selected partition");
    }

    private static byte[] retype(byte[] elf, XenNoteType from, XenNoteType to) {
        byte[] out = elf.clone();
        ByteBuffer b = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int p = 0xb0;
        while (p < 0xb0 + 0x100) {
            int namesz = b.getInt(p);
            int descsz = b.getInt(p + 4);
            if (b.getInt(p + 8) == from.number()) {
                b.putInt(p + 8, to.number());
            }
            p += 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3);
        }
        return out;
    }

    private static int indexOf(byte[] data, String s) {
        return indexOf(data, s.getBytes());
    }

    private static int indexOf(byte[] data, byte[] pat) {
        outer:
        for (int i = 0; i + pat.length <= data.length; i++) {
            for (int j = 0; j < pat.length; j++) {
                if (data[i + j] != pat[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("pattern not found");
    }
}
