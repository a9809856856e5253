package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.testkit.Interop;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 386 protected mode, run by nasm-assembled boot programs (source in the test resources or
 * inline): GDT/IDT, far jumps between 16- and 32-bit code, flat 32-bit code reaching memory
 * above 1 MiB, #UD and #GP with its error code through the IDT, IRQ 0 in protected mode, the
 * return to real mode keeping a 4 GiB data limit (unreal mode), and a triple fault.
 */
@Tag("interop")
class ProtectedModeTest {

    @TempDir
    Path tmp;

    private static final HvmBoot.Options PM = HvmBoot.Options.defaults().withProtectedMode(true)
            .withMaxInstructions(20_000_000);

    /** A boot sector's start: load GDTR and IDTR from {@code gdtr}/{@code idtr}, set CR0.PE, jump to 0008h:{@code pm}. */
    private static final String ENTER_PROTECTED_MODE = """
            bits 16
            org 0x7c00
                cli
                xor ax, ax
                mov ds, ax
                lgdt [gdtr]
                lidt [idtr]
                mov eax, cr0
                or al, 1
                mov cr0, eax
                jmp 0x08:pm
            """;

    private MemoryBlockDevice disk(byte[] program) {
        MemoryBlockDevice d = HvmBootTest.disk(64);
        HvmBootTest.put(d, 0, program);
        return d;
    }

    private byte[] resourceProgram(String name) throws Exception {
        Path src = tmp.resolve(name + ".asm");
        try (var in = ProtectedModeTest.class.getResourceAsStream(name + ".asm")) {
            Files.write(src, in.readAllBytes());
        }
        return Nasm.assembleFile(Interop.tool("nasm"), src, tmp.resolve(name + ".bin"));
    }

    @Test
    void switchesToProtectedModeFaultsTakesTheTimerAndReturnsToUnrealMode() throws Exception {
        BootReport r = HvmBoot.boot(disk(resourceProgram("pmode")), PM);
        assertThat(r.result()).as(r.error() + "\n" + r.console() + "\n" + r.screen()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.console()).isEqualTo("protected mode\nabove 1 MiB\n#UD\n#GP(0080)\nIRQ 0\n");
        assertThat(r.screen().rows().get(0)).as("INT 10h in real mode again").isEqualTo("real mode again");
        assertThat(r.screen().rows().get(1)).as("a direct write from 32-bit code").isEqualTo("P");
        assertThat(r.screen().attribute(1, 0)).isEqualTo(0x1F);
    }

    @Test
    void withoutProtectedModeTheSameProgramStopsAtCr0Pe() throws Exception {
        BootReport r = HvmBoot.boot(disk(resourceProgram("pmode")), HvmBoot.Options.defaults().withProtectedMode(false));
        assertThat(r.result()).isEqualTo(BootReport.Result.PROTECTED_MODE);
        assertThat(r.console()).isEmpty();
    }

    @Test
    void anExceptionWithoutAGateIsATripleFault() throws Exception {
        byte[] code = Nasm.assemble(tmp, "triple", ENTER_PROTECTED_MODE + """
                bits 32
                pm: ud2
                align 8
                gdt: dq 0, 0x00cf9a000000ffff
                gdtr: dw 15
                      dd gdt
                idtr: dw 0
                      dd 0
                times 510 - ($ - $$) db 0
                dw 0xaa55
                """);
        BootReport r = HvmBoot.boot(disk(code), PM);
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("triple fault").contains("vector 08h");
    }

    @Test
    void aSegmentLoadBeyondTheGdtOrNotPresentFaults() throws Exception {
        // IDT with only #GP (0Dh) and #NP (0Bh) gates that print their error code's low byte and halt
        byte[] code = Nasm.assemble(tmp, "np", ENTER_PROTECTED_MODE + """
                bits 32
                pm: mov ax, 0x10
                    mov ss, ax
                    mov esp, 0x7000
                    mov ax, 0x18
                    mov ds, ax          ; not present: #NP(0018h)
                    hlt
                np: mov dx, 0x3f8
                    mov al, 'N'
                    out dx, al
                    mov eax, [esp]
                    add al, '0'
                    out dx, al
                    cli
                    hlt
                align 8
                gdt: dq 0, 0x00cf9a000000ffff, 0x00cf92000000ffff, 0x00cf12000000ffff
                gdtr: dw 31
                      dd gdt
                idt: times 11 dq 0
                    dw np - $$ + 0x7c00, 0x08
                    db 0, 0x8e
                    dw 0
                idtr: dw 8 * 12 - 1
                      dd idt
                times 510 - ($ - $$) db 0
                dw 0xaa55
                """);
        BootReport r = HvmBoot.boot(disk(code), PM);
        assertThat(r.result()).as(r.error()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.console()).as("#NP with the selector (18h -> 'H') as error code").isEqualTo("N" + (char) ('0' + 0x18));
    }
}
