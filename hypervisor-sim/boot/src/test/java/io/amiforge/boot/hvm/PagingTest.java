package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 32-bit paging, run by the boot program {@code paging.asm} (test resources) on our CPU and on
 * QEMU TCG with SeaBIOS: an alias mapping read and written through, accessed and dirty bits,
 * 4 MiB pages, #PF with its error code, CR2 and the pushed EIP (not present, a read-only page
 * with CR0.WP, an instruction fetch, a write crossing into a hole), and remapping with INVLPG
 * (a 4 KiB and a 4 MiB page) and a CR3 reload. The expected lines are worked out from the
 * Intel SDM vol. 3 ch. 4 (see the program's comments); QEMU must print the same.
 */
@Tag("interop")
class PagingTest {

    /** The EIPs are those of the faulting instructions in the assembled program (labels .f1, .f2, .f3, .f5). */
    static final String EXPECTED = """
            alias read CAFEBABE
            pte after read 00005023
            pde 0 00021023
            alias write 12345678
            pte after write 00005063
            4M read CAFEBABE
            pde 1 after read 000000A3
            4M write 0F0F0F0F
            pde 1 after write 000000E3
            #PF 00000000 00301004 %08X
            #PF 00000002 00301008 %08X
            ro write wp=0 11111111
            #PF 00000003 00302004 %08X
            ro after wp=1 write 00000000
            ro read wp=1 11111111
            pte ro 00006061
            #PF 00000000 00301000 00301000
            #PF 00000002 00301000 %08X
            cross-page write left 00000000
            invlpg remap 11111111
            cr3 reload remap CAFEBABE
            4M before 11111111
            4M invlpg remap 5EED5EED
            4M other 4K of it 44444444
            cr2 00301000
            done
            """;

    @TempDir
    Path tmp;

    private byte[] program() throws Exception {
        Path src = tmp.resolve("paging.asm");
        try (var in = PagingTest.class.getResourceAsStream("paging.asm")) {
            Files.write(src, in.readAllBytes());
        }
        return Nasm.assembleFile(Interop.tool("nasm"), src, tmp.resolve("paging.bin"));
    }

    /** The program's lines with the faulting instructions' addresses, read from nasm's listing of the same source. */
    private String expected() throws Exception {
        Path list = tmp.resolve("paging.lst");
        Processes.run(List.of(Interop.tool("nasm").toString(), "-f", "bin", "-l", list.toString(), "-o",
                tmp.resolve("listed.bin").toString(), tmp.resolve("paging.asm").toString())).orFail();
        List<String> lines = Files.readAllLines(list, StandardCharsets.UTF_8);
        return EXPECTED.formatted(address(lines, ".f1"), address(lines, ".f2"), address(lines, ".f3"),
                address(lines, ".f5"));
    }

    /** Address of the instruction after label {@code label} in a nasm listing (org 0x7C00). */
    private static int address(List<String> listing, String label) {
        for (int i = 0; i < listing.size(); i++) {
            if (listing.get(i).trim().endsWith(label + ":")) {
                String[] next = listing.get(i + 1).trim().split("\\s+");
                return 0x7C00 + Integer.parseInt(next[1], 16);
            }
        }
        throw new AssertionError("label " + label + " not in the listing");
    }

    @Test
    void pagingVectorsPrintWhatTheManualSays() throws Exception {
        byte[] code = program();
        MemoryBlockDevice disk = HvmBootTest.disk(64);
        HvmBootTest.put(disk, 0, code);
        BootReport r = HvmBoot.boot(disk, HvmBoot.Options.defaults().withMaxInstructions(20_000_000));
        assertThat(r.result()).as(r.error() + "\n" + r.console()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.console()).isEqualTo(expected());
    }

    @Test
    void qemuPrintsTheSameLines() throws Exception {
        Path qemu = Interop.tool("qemu-system-i386");
        byte[] code = program();
        Path image = tmp.resolve("paging.img"), serial = tmp.resolve("serial.txt");
        byte[] disk = new byte[1 << 20];
        System.arraycopy(code, 0, disk, 0, code.length);
        Files.write(image, disk);
        Processes.Result q = Processes.command(qemu.toString(), "-accel", "tcg", "-display", "none", "-monitor", "none",
                "-no-reboot", "-drive", "file=" + image + ",format=raw,if=ide", "-serial", "file:" + serial,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4").deadline(Duration.ofSeconds(60)).run();
        assertThat(q.exitCode()).as("QEMU exits through isa-debug-exit with (0x10 << 1) | 1: " + q.output())
                .isEqualTo(0x21);
        String qemuLines = Files.readString(serial, StandardCharsets.UTF_8);
        assertThat(qemuLines).isEqualTo(expected());

        MemoryBlockDevice ours = HvmBootTest.disk(64);
        HvmBootTest.put(ours, 0, code);
        BootReport r = HvmBoot.boot(ours, HvmBoot.Options.defaults().withMaxInstructions(20_000_000));
        assertThat(r.console()).isEqualTo(qemuLines);
    }
}
