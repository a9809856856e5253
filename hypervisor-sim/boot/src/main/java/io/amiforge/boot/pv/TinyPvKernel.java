package io.amiforge.boot.pv;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * amiforge's own minimal Xen PV guest kernel, built in Java at run time (no toolchain): an
 * ELF executable with one PT_LOAD segment and one PT_NOTE segment holding the Xen notes
 * (GUEST_OS linux, GUEST_VERSION, XEN_VERSION xen-3.0, LOADER generic, VIRT_BASE,
 * PADDR_OFFSET, ENTRY, FEATURES, and optionally HYPERCALL_PAGE). The segment holds a
 * "Linux version amiforge-pv ..." banner and a little code that, on a real Xen, writes the
 * banner with {@code HYPERVISOR_console_io} and shuts the domain down with
 * {@code HYPERVISOR_sched_op} through the hypercall page, then spins.
 *
 * <p>Layout (64-bit): loaded at pseudo-physical 1 MiB, mapped at VIRT_BASE
 * {@code 0xffffffff80000000} + 1 MiB; the code at the segment start is the entry; the
 * hypercall page is the segment's second page (bss). It is what {@code image build --boot pv}
 * installs when no kernel is given.
 */
public final class TinyPvKernel {

    /** VIRT_BASE of the 64-bit kernel. */
    public static final long VIRT_BASE_64 = 0xffffffff80000000L;
    /** VIRT_BASE of the 32-bit PAE kernel. */
    public static final long VIRT_BASE_32 = 0xC0000000L;
    /** Pseudo-physical load address of the segment. */
    public static final long LOAD_PADDR = 0x100000;
    private static final int SEGMENT_OFFSET = 0x1000;
    private static final int BANNER_OFFSET = 0x80;
    private static final int REASON_OFFSET = 0x40;
    private static final int HYPERVISOR_CONSOLE_IO = 18;
    private static final int HYPERVISOR_SCHED_OP = 29;

    private TinyPvKernel() {
    }

    /** The banner text for {@code banner}: "Linux version amiforge-pv" followed by it. */
    public static String bannerText(String banner) {
        return "Linux version amiforge-pv" + (banner == null || banner.isEmpty() ? "" : " " + banner);
    }

    /** A 64-bit (ELF64, x86-64) PV kernel with a hypercall page note. */
    public static byte[] elf(String banner) {
        return build(true, banner, true);
    }

    /** A 64-bit PV kernel, with or without the HYPERCALL_PAGE note (recent kernels have none). */
    public static byte[] elf(String banner, boolean hypercallPage) {
        return build(true, banner, hypercallPage);
    }

    /** A 32-bit PAE (ELF32, i386) PV kernel, for i386 instances. */
    public static byte[] elf32(String banner) {
        return build(false, banner, true);
    }

    private static byte[] build(boolean is64, String banner, boolean hypercallPage) {
        long virtBase = is64 ? VIRT_BASE_64 : VIRT_BASE_32;
        long vaddr = virtBase + LOAD_PADDR;
        long hypercall = vaddr + 0x1000;
        byte[] text = (bannerText(banner) + "\n").getBytes(StandardCharsets.US_ASCII);
        int textLen = Math.min(text.length, 0x1000 - BANNER_OFFSET - 1);

        ByteBuffer seg = ByteBuffer.allocate(0x1000).order(ByteOrder.LITTLE_ENDIAN);
        if (is64) {
            seg.put(new byte[] {0x48, (byte) 0x8d, 0x15}).putInt(BANNER_OFFSET - 7);        // lea rdx,[rip+banner]
            seg.put((byte) 0xbe).putInt(textLen);                                            // mov esi,len
            seg.put(new byte[] {0x31, (byte) 0xff});                                         // xor edi,edi (CONSOLEIO_write)
            seg.put((byte) 0xe8).putInt(0x1000 + HYPERVISOR_CONSOLE_IO * 32 - 19);           // call hypercall_page+18*32
            seg.put(new byte[] {0x48, (byte) 0x8d, 0x35}).putInt(REASON_OFFSET - 26);       // lea rsi,[rip+reason]
            seg.put((byte) 0xbf).putInt(2);                                                  // mov edi,2 (SCHEDOP_shutdown)
            seg.put((byte) 0xe8).putInt(0x1000 + HYPERVISOR_SCHED_OP * 32 - 36);             // call hypercall_page+29*32
        } else {
            // 32-bit PV ABI: ebx, ecx, edx carry the hypercall arguments.
            seg.put((byte) 0xbb).putInt(0);                                                  // mov ebx,0 (CONSOLEIO_write)
            seg.put((byte) 0xb9).putInt(textLen);                                            // mov ecx,len
            seg.put((byte) 0xba).putInt((int) (vaddr + BANNER_OFFSET));                     // mov edx,banner
            seg.put((byte) 0xe8).putInt(0x1000 + HYPERVISOR_CONSOLE_IO * 32 - 20);           // call hypercall_page+18*32
            seg.put((byte) 0xbb).putInt(2);                                                  // mov ebx,2 (SCHEDOP_shutdown)
            seg.put((byte) 0xb9).putInt((int) (vaddr + REASON_OFFSET));                      // mov ecx,reason
            seg.put((byte) 0xe8).putInt(0x1000 + HYPERVISOR_SCHED_OP * 32 - 35);             // call hypercall_page+29*32
        }
        seg.put(new byte[] {(byte) 0xeb, (byte) 0xfe});                                      // jmp $
        seg.putInt(REASON_OFFSET, 0);                                                        // SHUTDOWN_poweroff
        seg.put(BANNER_OFFSET, text, 0, textLen);

        ByteArrayOutputStream notes = new ByteArrayOutputStream();
        note(notes, XenNoteType.GUEST_OS, str("linux"));
        note(notes, XenNoteType.GUEST_VERSION, str("amiforge-pv"));
        note(notes, XenNoteType.XEN_VERSION, str("xen-3.0"));
        note(notes, XenNoteType.LOADER, str("generic"));
        note(notes, XenNoteType.VIRT_BASE, num(virtBase, is64));
        note(notes, XenNoteType.PADDR_OFFSET, num(0, is64));
        note(notes, XenNoteType.ENTRY, num(vaddr, is64));
        if (hypercallPage) {
            note(notes, XenNoteType.HYPERCALL_PAGE, num(hypercall, is64));
        }
        note(notes, XenNoteType.FEATURES, str("!writable_page_tables|pae_pgdir_above_4gb"));
        if (!is64) {
            note(notes, XenNoteType.PAE_MODE, str("yes"));
        }
        byte[] noteBytes = notes.toByteArray();

        int ehdr = is64 ? 64 : 52;
        int phent = is64 ? 56 : 32;
        int noteOffset = ehdr + 2 * phent;
        ByteBuffer f = ByteBuffer.allocate(SEGMENT_OFFSET + 0x1000).order(ByteOrder.LITTLE_ENDIAN);
        f.put(new byte[] {0x7f, 'E', 'L', 'F', (byte) (is64 ? 2 : 1), 1, 1, 0});
        f.position(16);
        f.putShort((short) 2).putShort((short) (is64 ? ElfImage.EM_X86_64 : ElfImage.EM_386)).putInt(1);
        if (is64) {
            f.putLong(vaddr).putLong(ehdr).putLong(0).putInt(0);
        } else {
            f.putInt((int) vaddr).putInt(ehdr).putInt(0).putInt(0);
        }
        f.putShort((short) ehdr).putShort((short) phent).putShort((short) 2).putShort((short) (is64 ? 64 : 40))
                .putShort((short) 0).putShort((short) 0);
        // PT_LOAD: R+X, file 0x1000 bytes, memory 0x2000 (second page: hypercall page).
        phdr(f, is64, ElfImage.PT_LOAD, 5, SEGMENT_OFFSET, vaddr, LOAD_PADDR, 0x1000, 0x2000, 0x1000);
        phdr(f, is64, ElfImage.PT_NOTE, 4, noteOffset, 0, 0, noteBytes.length, noteBytes.length, 4);
        f.put(noteOffset, noteBytes);
        f.put(SEGMENT_OFFSET, seg.array());
        return f.array();
    }

    private static void phdr(ByteBuffer f, boolean is64, int type, int flags, long offset, long vaddr, long paddr,
                             long filesz, long memsz, long align) {
        if (is64) {
            f.putInt(type).putInt(flags).putLong(offset).putLong(vaddr).putLong(paddr).putLong(filesz).putLong(memsz).putLong(align);
        } else {
            f.putInt(type).putInt((int) offset).putInt((int) vaddr).putInt((int) paddr).putInt((int) filesz)
                    .putInt((int) memsz).putInt(flags).putInt((int) align);
        }
    }

    private static byte[] str(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        byte[] z = new byte[b.length + 1];
        System.arraycopy(b, 0, z, 0, b.length);
        return z;
    }

    private static byte[] num(long v, boolean is64) {
        ByteBuffer b = ByteBuffer.allocate(is64 ? 8 : 4).order(ByteOrder.LITTLE_ENDIAN);
        if (is64) {
            b.putLong(v);
        } else {
            b.putInt((int) v);
        }
        return b.array();
    }

    /** Appends one "Xen" note (namesz 4, 4-byte aligned name and descriptor). */
    static void note(ByteArrayOutputStream out, XenNoteType type, byte[] desc) {
        ByteBuffer b = ByteBuffer.allocate(12 + 4 + ((desc.length + 3) & ~3)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(4).putInt(desc.length).putInt(type.number());
        b.put(new byte[] {'X', 'e', 'n', 0});
        b.put(desc);
        out.writeBytes(b.array());
    }
}
