package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.x86.bios.DiskRead;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HvmBootTest {

    @TempDir
    Path tmp;

    static MemoryBlockDevice disk(int sectors) {
        return new MemoryBlockDevice("test-disk", sectors * 512L);
    }

    static void put(MemoryBlockDevice d, long offset, byte[] bytes) {
        d.write(offset, MemorySegment.ofArray(bytes));
    }

    static byte[] bootSector(byte[] code) {
        byte[] s = new byte[512];
        System.arraycopy(code, 0, s, 0, code.length);
        s[510] = 0x55;
        s[511] = (byte) 0xAA;
        return s;
    }

    @Test
    void diskWithoutSignatureFailsWithNoBootableDevice() {
        MemoryBlockDevice d = disk(8);
        BootReport r = HvmBoot.boot(d);
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.screen().text()).contains("No bootable device");
        assertThat(r.console()).as("BIOS messages are on the screen only").isEmpty();
        assertThat(r.error()).contains("0x0000").contains("0xAA55");
    }

    @Test
    void handEncodedBootSectorPrintsAndHalts() {
        // mov ah,0Eh; mov al,'O'; int 10h; mov al,'K'; int 10h; mov dx,3F8h; mov al,'!'; out dx,al; cli; hlt
        byte[] code = {(byte) 0xB4, 0x0E, (byte) 0xB0, 'O', (byte) 0xCD, 0x10, (byte) 0xB0, 'K', (byte) 0xCD, 0x10,
            (byte) 0xBA, (byte) 0xF8, 0x03, (byte) 0xB0, '!', (byte) 0xEE, (byte) 0xFA, (byte) 0xF4};
        MemoryBlockDevice d = disk(8);
        put(d, 0, bootSector(code));
        BootReport r = HvmBoot.boot(d);
        assertThat(r.result()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.screen().text()).as("INT 10h output only").isEqualTo("OK");
        assertThat(r.console()).as("COM1 output only").isEqualTo("!");
        assertThat(r.instructions()).as("10 instructions + 2 BIOS stubs").isEqualTo(12);
        assertThat(r.stages()).extracting(BootReport.Stage::name).contains("BIOS POST", "MBR loaded", "halted");
    }

    @Test
    void endlessLoopExhaustsTheBudget() {
        MemoryBlockDevice d = disk(8);
        put(d, 0, bootSector(new byte[] {(byte) 0xEB, (byte) 0xFE}));
        BootReport r = HvmBoot.boot(d, HvmBoot.Options.defaults().withMaxInstructions(5_000_000));
        assertThat(r.result()).isEqualTo(BootReport.Result.BUDGET_EXHAUSTED);
        assertThat(r.instructions()).isEqualTo(5_000_000);
        assertThat(r.error()).contains("0000:7C00");
    }

    @Test
    void invalidOpcodeFailsNamingBytesAndAddress() {
        MemoryBlockDevice d = disk(8);
        put(d, 0, bootSector(new byte[] {(byte) 0x90, 0x0F, (byte) 0xFF}));
        BootReport r = HvmBoot.boot(d);
        assertThat(r.result()).isEqualTo(BootReport.Result.FAILED);
        assertThat(r.error()).contains("invalid opcode").contains("0000:7C01").contains("0F FF");
    }

    @Test
    @Tag("interop")
    void biosServicesFromAssembledBootSector() throws Exception {
        byte[] code = Nasm.assemble(tmp, "services", """
                bits 16
                org 0x7c00
                start:
                    xor ax, ax
                    mov ds, ax
                    mov es, ax
                    mov [drive], dl
                    ; EDD check and extended read of LBA 1 to 0000:8000
                    mov ah, 0x41
                    mov bx, 0x55aa
                    int 0x13
                    jc fail
                    cmp bx, 0xaa55
                    jne fail
                    mov si, dap
                    mov ah, 0x42
                    mov dl, [drive]
                    int 0x13
                    jc fail
                    ; CHS read of sector 3 (LBA 2) to 0000:8200
                    mov ax, 0x0201
                    mov cx, 0x0003
                    xor dh, dh
                    mov dl, [drive]
                    mov bx, 0x8200
                    int 0x13
                    jc fail
                    mov si, 0x8000
                    call print
                    mov si, 0x8200
                    call print
                    ; memory size
                    int 0x12
                    cmp ax, 639
                    jne fail
                    ; E820 first entry
                    mov eax, 0xe820
                    xor ebx, ebx
                    mov ecx, 20
                    mov edx, 0x534d4150
                    mov di, 0x9000
                    int 0x15
                    jc fail
                    cmp eax, 0x534d4150
                    jne fail
                    ; keyboard
                    xor ah, ah
                    int 0x16
                    mov ah, 0x0e
                    int 0x10
                    ; 32-bit arithmetic and SIB addressing
                    mov ebx, 0x8000
                    mov ecx, 1
                    mov al, [ebx + ecx*4 + 0]
                    mov ah, 0x0e
                    int 0x10
                    cli
                    hlt
                fail:
                    mov si, failmsg
                    call print
                    cli
                    hlt
                print:
                    lodsb
                    or al, al
                    jz .done
                    mov ah, 0x0e
                    int 0x10
                    jmp print
                .done:
                    ret
                drive: db 0
                failmsg: db "FAIL", 0
                dap: db 16, 0
                     dw 1, 0x8000, 0
                     dq 1
                """);
        MemoryBlockDevice d = disk(64);
        put(d, 0, bootSector(code));
        put(d, 512, "one,two,\0".getBytes());
        put(d, 1024, "three \0".getBytes());
        BootReport r = HvmBoot.boot(d, HvmBoot.Options.defaults().withKeyboard("k"));
        assertThat(r.screen().text()).isEqualTo("one,two,three kt");
        assertThat(r.result()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.diskReads()).containsExactly(new DiskRead(0, 1, "0000:7C00"),
                new DiskRead(1, 1, "0000:8000"), new DiskRead(2, 1, "0000:8200"));
    }
}
