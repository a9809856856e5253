package io.amiforge.boot.pv;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outside truth from binutils and nasm: readelf and objdump read the kernel TinyPvKernel builds;
 * and kernels assembled by nasm and linked by ld (Xen notes in a {@code .note.Xen} section the
 * linker puts in a PT_NOTE segment; a 32-bit one with only the legacy {@code __xen_guest}
 * section) PV-boot.
 */
@Tag("interop")
class ToolchainInteropTest {

    @TempDir
    Path dir;

    @Test
    void readelfShowsTheTinyKernelsSegmentsAndXenNotes() throws IOException {
        Path readelf = Interop.tool("readelf");
        Path elf = dir.resolve("vmlinux-tiny");
        Files.write(elf, TinyPvKernel.elf("readelf check"));
        String headers = Processes.run(List.of(readelf.toString(), "-h", "-l", "-W", elf.toString())).orFail().output();
        assertThat(headers).contains("ELF64", "EXEC (Executable file)", "X86-64", "Entry point address:               0xffffffff80100000")
                .containsPattern("LOAD\\s+0x0*1000 0xffffffff80100000 0x0*100000 0x0*1000 0x0*2000 R E 0x1000")
                .containsPattern("NOTE\\s+0x0*b0 ");
        String notes = Processes.run(List.of(readelf.toString(), "-n", "-W", elf.toString())).orFail().output();
        assertThat(notes.lines().filter(l -> l.strip().startsWith("Xen ")).count()).isEqualTo(9);
        assertThat(notes)
                .containsPattern("Xen\\s+0x0+6\\s.*\\(0x0+6\\)\\s+description data: 6c 69 6e 75 78 00")         // GUEST_OS linux
                .containsPattern("Xen\\s+0x0+8\\s.*\\(0x0+5\\)\\s+description data: 78 65 6e 2d 33 2e 30 00")    // XEN_VERSION xen-3.0
                .containsPattern("Xen\\s+0x0+8\\s.*\\(0x0+8\\)\\s+description data: 67 65 6e 65 72 69 63 00")    // LOADER generic
                .containsPattern("description data: 00 00 10 80 ff ff ff ff");                               // ENTRY
        Path objdump = Interop.tool("objdump");
        String code = Processes.run(List.of(objdump.toString(), "-D", "-b", "binary", "-m", "i386:x86-64",
                "--start-address=0x1000", "--stop-address=0x1026", elf.toString())).orFail().output();
        // console_io (18) and sched_op (29) through the hypercall page at file/segment offset 0x2000.
        assertThat(code).contains("lea    0x79(%rip),%rdx", "call   0x2240", "mov    $0x2,%edi", "call   0x23a0", "jmp    0x1024");
    }

    private static String note(int n, int type, String desc) {
        return "  dd 4, n" + n + "e - n" + n + "s, " + type + "\n  db \"Xen\", 0\nn" + n + "s: " + desc + "\nn" + n + "e:\n  align 4, db 0\n";
    }

    @Test
    void ldLinkedKernelWithNoteSectionBoots() throws IOException {
        Path nasm = Interop.tool("nasm");
        Path ld = Interop.tool("ld");
        String asm = "bits 64\nsection .text\nglobal _start\n_start:\n  jmp $\n"
                + "section .rodata\n  db \"Linux version nasm-ld 1.0 (toolchain)\", 10, 0\n"
                + "section .note.Xen note alloc noexec nowrite align=4\n"
                + note(1, 6, "db \"linux\", 0")
                + note(2, 5, "db \"xen-3.0\", 0")
                + note(3, 8, "db \"generic\", 0")
                + note(4, 3, "dq 0xffffffff80000000")
                + note(5, 4, "dq 0")
                + note(6, 1, "dq _start");
        Files.writeString(dir.resolve("k.asm"), asm);
        Files.writeString(dir.resolve("k.ld"), """
                ENTRY(_start)
                SECTIONS {
                  . = 0xffffffff80200000;
                  .text : AT(0x200000) { *(.text) *(.rodata) }
                  .note.Xen : AT(ADDR(.note.Xen) - 0xffffffff80000000) { *(.note.Xen) }
                }
                """);
        Processes.run(List.of(nasm.toString(), "-f", "elf64", "-o", dir.resolve("k.o").toString(), dir.resolve("k.asm").toString())).orFail();
        Processes.run(List.of(ld.toString(), "-m", "elf_x86_64", "-T", dir.resolve("k.ld").toString(), "-o",
                dir.resolve("vmlinux").toString(), dir.resolve("k.o").toString())).orFail();
        byte[] kernel = Files.readAllBytes(dir.resolve("vmlinux"));
        InMemoryGuestFileSystem fs = new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "title ld\nroot (hd0)\nkernel /vmlinux ro\n")
                .file("/vmlinux", kernel);
        BootReport r = PvGrub.boot(new MemoryBlockDevice("vol", 4096), new PvBootOptions(PvBootOptions.Architecture.X86_64, 128,
                d -> List.of(), d -> fs));
        assertThat(r.error()).isNull();
        assertThat(r.kernel().version()).isEqualTo("Linux version nasm-ld 1.0 (toolchain)");
        assertThat(r.kernel().attributes()).containsEntry("entry", "0xffffffff80200000").containsEntry("xenNotesSource", "ELF notes");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> layout = (List<Map<String, Object>>) r.details().get("memoryLayout");
        assertThat(layout.getFirst()).containsEntry("pseudoPhysical", "0x200000");
    }

    @Test
    void legacyXenGuestSectionKernelBootsOnI386() throws IOException {
        Path nasm = Interop.tool("nasm");
        Path ld = Interop.tool("ld");
        String asm = "bits 32\nsection .text\nglobal _start\n_start:\n  jmp $\n"
                + "section .data\n  db \"Linux version 2.6.18-legacy (xen)\", 10, 0\n"
                + "section __xen_guest\n  db \"GUEST_OS=linux,GUEST_VER=2.6,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000,"
                + "HYPERCALL_PAGE=0x2,LOADER=generic,PAE=yes[extended-cr3]\", 0\n";
        Files.writeString(dir.resolve("l.asm"), asm);
        Processes.run(List.of(nasm.toString(), "-f", "elf32", "-o", dir.resolve("l.o").toString(), dir.resolve("l.asm").toString())).orFail();
        Processes.run(List.of(ld.toString(), "-m", "elf_i386", "-Ttext=0xC0100000", "-e", "_start", "-o",
                dir.resolve("vmlinux32").toString(), dir.resolve("l.o").toString())).orFail();
        InMemoryGuestFileSystem fs = new InMemoryGuestFileSystem().file("/boot/grub/menu.lst", "title old\nkernel /vmlinux32\n")
                .file("/vmlinux32", Files.readAllBytes(dir.resolve("vmlinux32")));
        BootReport r = PvGrub.boot(new MemoryBlockDevice("vol", 4096), new PvBootOptions(PvBootOptions.Architecture.I386, 64,
                d -> List.of(), d -> fs));
        assertThat(r.error()).isNull();
        assertThat(r.kernel().format()).isEqualTo("elf32");
        assertThat(r.kernel().version()).isEqualTo("Linux version 2.6.18-legacy (xen)");
        assertThat(r.kernel().attributes()).containsEntry("xenNotesSource", "__xen_guest section").containsEntry("entry", "0xc0100000");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> layout = (List<Map<String, Object>>) r.details().get("memoryLayout");
        // Legacy ELF_PADDR_OFFSET defaults to VIRT_BASE: ld's first segment (ELF headers in the page before
        // .text, p_paddr 0xc00ff000) lands at pseudo-physical 0xff000, not at 0xc00ff000.
        assertThat(layout.getFirst()).containsEntry("pseudoPhysical", "0xff000").containsEntry("virtual", "0xc00ff000");
        @SuppressWarnings("unchecked")
        Map<String, Object> si = (Map<String, Object>) r.details().get("startInfo");
        assertThat(si).containsEntry("magic", "xen-3.0-x86_32p");
    }
}
