package io.amiforge.x86.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 386-only behaviour the 8086 vectors cannot cover (32-bit registers, SIB, FS/GS, SHLD/SHRD,
 * BSF/BSR, BT*, MOVZX/MOVSX, XADD, CMPXCHG, BSWAP, SETcc, 32-bit MUL/DIV/IMUL, REP STOSD,
 * ENTER/LEAVE, PUSHAD/POPAD), the A20 gate, faults through the IVT, the protected-mode stop
 * and self-modifying code. Expected values are worked out by hand from the Intel manual.
 */
@Tag("interop")
class Cpu386Test {

    @TempDir
    Path tmp;

    static final String PROGRAM = """
            bits 16
            org 0x1000
            %macro put 1
                mov [di], %1
                add di, 4
            %endmacro
                xor ax, ax
                mov ds, ax
                mov es, ax
                mov ss, ax
                mov sp, 0x8000
                mov di, 0x4000              ; results
                mov eax, 0x12345678
                bswap eax
                put eax                     ; 0 78563412
                mov eax, 0x80000000
                xor edx, edx
                shld edx, eax, 1
                put edx                     ; 1 00000001
                mov ax, 0x1234
                mov bx, 0xabcd
                shrd ax, bx, 4
                movzx eax, ax
                put eax                     ; 2 0000D123
                mov dword [0x3000], 0x00010000
                bsf ecx, [0x3000]
                put ecx                     ; 3 16
                mov edx, 0x00010001
                bsr ecx, edx
                put ecx                     ; 4 16
                mov byte [0x3004], 0xf0
                movzx eax, byte [0x3004]
                put eax                     ; 5 F0
                mov word [0x3006], 0x8001
                movsx eax, word [0x3006]
                put eax                     ; 6 FFFF8001
                mov eax, 5
                mov ebx, 7
                xadd eax, ebx
                put eax                     ; 7 12
                put ebx                     ; 8 5
                mov eax, 5
                mov ecx, 5
                mov edx, 9
                cmpxchg ecx, edx
                setz al
                movzx eax, al
                put eax                     ; 9 1
                put ecx                     ; 10 9
                mov eax, 1
                cmpxchg ecx, edx
                setnz bl
                movzx ebx, bl
                put ebx                     ; 11 1
                put eax                     ; 12 9
                mov word [0x3010], 0
                mov word [0x3012], 0
                mov ax, 17
                bts [0x3010], ax
                bts word [0x3010], 17
                mov eax, [0x3010]
                put eax                     ; 13 00020002
                mov eax, 1
                mov ebx, 2
                cmp eax, ebx
                setl al
                setb ah
                seta bl
                setg bh
                movzx eax, ax
                movzx ebx, bx
                put eax                     ; 14 0101
                put ebx                     ; 15 0
                mov ebx, 7
                imul ecx, ebx, -3
                put ecx                     ; 16 FFFFFFEB
                mov eax, 0xffffffff
                mov ebx, 2
                mul ebx
                put eax                     ; 17 FFFFFFFE
                put edx                     ; 18 1
                mov edx, 1
                xor eax, eax
                div ebx
                put eax                     ; 19 80000000
                put edx                     ; 20 0
                push di
                mov di, 0x3020
                mov eax, 0xaabbccdd
                mov ecx, 4
                cld
                rep stosd
                pop di
                mov eax, [0x302c]
                put eax                     ; 21 AABBCCDD
                put ecx                     ; 22 0
                mov ax, 0x0300
                mov fs, ax
                mov gs, ax
                mov word [fs:0x40], 0x4242
                mov ax, [gs:0x40]
                movzx eax, ax
                put eax                     ; 23 4242 (at linear 0x3040)
                mov ebx, 0x3000
                mov esi, 2
                mov eax, [ebx + esi*8 + 0x10]   ; 0x3030 -> 0 ... use 0x3020 + 12
                mov eax, [ebx + esi*4 + 0x24]   ; 0x302C
                put eax                     ; 24 AABBCCDD
                mov bp, 0x1111
                mov dx, sp
                enter 8, 0
                mov cx, sp
                leave
                sub dx, cx
                movzx edx, dx
                put edx                     ; 25 10 (2 for BP + 8)
                movzx ebp, bp
                put ebp                     ; 26 1111
                mov eax, 0x11111111
                mov ecx, 0x22222222
                pushad
                xor eax, eax
                xor ecx, ecx
                popad
                add eax, ecx
                put eax                     ; 27 33333333
                mov eax, 0x0000ffff
                add ax, 1
                pushfd
                pop eax
                and eax, 0x8d5              ; OF SF ZF AF PF CF
                put eax                     ; 28 0x55 (ZF AF PF CF)
                ; self-modifying code: patch the immediate of the next instruction
                mov byte [patch + 1], 0x99
                jmp short patch
            patch:
                mov al, 0x11
                movzx eax, al
                put eax                     ; 29 99
                cli
                hlt
            """;

    static final int[] EXPECTED = {0x78563412, 1, 0xD123, 16, 16, 0xF0, 0xFFFF8001, 12, 5, 1, 9, 1, 9, 0x00020002,
        0x0101, 0, 0xFFFFFFEB, 0xFFFFFFFE, 1, 0x80000000, 0, 0xAABBCCDD, 0, 0x4242, 0xAABBCCDD, 10, 0x1111,
        0x33333333, 0x55, 0x99};

    static Cpu cpu(Memory mem) {
        return new Cpu(mem, new SingleStepConformanceTest.NullHost());
    }

    byte[] assemble(String name, String src) throws Exception {
        Path nasm = Interop.tool("nasm");
        Path in = tmp.resolve(name + ".asm"), out = tmp.resolve(name + ".bin");
        Files.writeString(in, src, StandardCharsets.UTF_8);
        Processes.run(List.of(nasm.toString(), "-f", "bin", "-o", out.toString(), in.toString())).orFail();
        return Files.readAllBytes(out);
    }

    @Test
    void instructionsOfThe386() throws Exception {
        byte[] code = assemble("p386", PROGRAM);
        Memory mem = new Memory(Memory.LOW_LIMIT);
        mem.load(0x1000, code, 0, code.length);
        Cpu c = cpu(mem);
        c.setIp(0x1000);
        assertThat(c.run(10_000)).isEqualTo(StopReason.HALTED);
        for (int i = 0; i < EXPECTED.length; i++) {
            assertThat(mem.read32(0x4000 + 4L * i)).as("result %d", i).isEqualTo(EXPECTED[i]);
        }
    }

    @Test
    void a20GateWrapsAtOneMegabyteWhenClosed() throws Exception {
        byte[] code = assemble("a20", """
                bits 16
                org 0x1000
                    mov ax, 0xffff
                    mov es, ax
                    mov byte [es:0x10], 0x5a
                    hlt
                """);
        Memory mem = new Memory(Memory.LOW_LIMIT);
        mem.load(0x1000, code, 0, code.length);
        Cpu c = cpu(mem);
        c.setA20(false);
        c.setIp(0x1000);
        c.run(100);
        assertThat(mem.read8(0)).isEqualTo(0x5a);
        assertThat(mem.read8(0x100000)).isZero();
        c.setA20(true);
        c.setIp(0x1000);
        mem.write8(0, 0);
        c.run(100);
        assertThat(mem.read8(0x100000)).isEqualTo(0x5a);
        assertThat(mem.read8(0)).isZero();
    }

    @Test
    void faultsGoThroughTheIvtWithTheFaultingAddress() throws Exception {
        byte[] code = assemble("faults", """
                bits 16
                org 0x1000
                    xor ax, ax
                    mov ds, ax
                    mov ss, ax
                    mov sp, 0x8000
                    mov word [6*4], ud_handler
                    mov word [6*4+2], 0
                    mov word [0*4], de_handler
                    mov word [0*4+2], 0
                    xor bl, bl
                    mov ax, 1
                div_here:
                    div bl
                    hlt
                de_handler:
                    pop ax                      ; return IP: the DIV itself on a 386
                    mov [0x3000], ax
                ud_here:
                    db 0x0f, 0xff
                ud_handler:
                    pop ax
                    mov [0x3002], ax
                    mov eax, cr0
                    or al, 1
                    mov cr0, eax
                    hlt
                """);
        Memory mem = new Memory(Memory.LOW_LIMIT);
        mem.load(0x1000, code, 0, code.length);
        Cpu c = cpu(mem);
        c.setIp(0x1000);
        assertThat(c.run(1000)).isEqualTo(StopReason.PROTECTED_MODE);
        int divAt = mem.read16(0x3000), udAt = mem.read16(0x3002);
        assertThat(mem.read8(divAt)).as("pushed IP points at DIV").isEqualTo(0xF6);
        assertThat(mem.read8(udAt)).as("pushed IP points at the invalid opcode").isEqualTo(0x0F);
        assertThat(c.faultVector()).isEqualTo(6);
        assertThat(c.faultBytes()).containsExactly(0x0F, 0xFF);
        assertThat(c.faultIp()).isEqualTo(udAt);
        assertThat(c.stopDetail()).contains("CR0.PE");
    }
}
