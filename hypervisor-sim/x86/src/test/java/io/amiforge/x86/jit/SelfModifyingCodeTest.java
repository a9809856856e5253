package io.amiforge.x86.jit;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;
import org.junit.jupiter.api.Test;

/** Translated blocks stay exact when guest code is rewritten: by the block itself, by other code, by the host. */
class SelfModifyingCodeTest {

    @Test
    void aBlockThatRewritesItsOwnImmediateSeesEveryNewValue() {
        byte[] code = {
            (byte) 0xB9, 0x64, 0x00,                    // 1000 mov cx, 100
            0x05, 0x01, 0x00,                           // 1003 add ax, 1        (immediate at 1004)
            0x2E, (byte) 0xFF, 0x06, 0x04, 0x10,        // 1006 inc word cs:[1004]
            (byte) 0xE2, (byte) 0xF6,                   // 100B loop 1003
            (byte) 0xF4,                                // 100D hlt
        };
        for (int threshold : new int[] {0, 1, 2, 5}) {
            Cpu cpu = JitMachines.machine(code, 0x1000, threshold);
            assertThat(cpu.run(10_000)).isEqualTo(StopReason.HALTED);
            assertThat(cpu.reg16(Cpu.EAX)).as("threshold %d", threshold).isEqualTo(5050); // 1 + 2 + ... + 100
            assertThat(cpu.instructions()).isEqualTo(1 + 300 + 1);
        }
    }

    @Test
    void codeCopiedOverATranslatedBlockRunsInItsNewForm() {
        // a hot loop at 1100 adds 1 to AX 50 times; then the code at 1000 copies the bytes at 1200
        // (the same loop adding 7) over it with REP MOVSB and runs it again
        byte[] code = new byte[0x300];
        byte[] hot = {
            (byte) 0xB9, 0x32, 0x00,                    // mov cx, 50
            0x05, 0x01, 0x00,                           // add ax, 1
            (byte) 0xE2, (byte) 0xFB,                   // loop (add)
            (byte) 0xC3,                                // ret
        };
        byte[] replacement = hot.clone();
        replacement[4] = 7;
        byte[] main = {
            (byte) 0xE8, (byte) 0xFD, 0x00,             // 1000 call 1100
            (byte) 0xBE, 0x00, 0x12,                    // 1003 mov si, 1200
            (byte) 0xBF, 0x00, 0x11,                    // 1006 mov di, 1100
            (byte) 0xB9, 0x09, 0x00,                    // 1009 mov cx, 9
            (byte) 0xF3, (byte) 0xA4,                   // 100C rep movsb
            (byte) 0xE8, (byte) 0xEF, 0x00,             // 100E call 1100
            (byte) 0xF4,                                // 1011 hlt
        };
        System.arraycopy(main, 0, code, 0, main.length);
        System.arraycopy(hot, 0, code, 0x100, hot.length);
        System.arraycopy(replacement, 0, code, 0x200, replacement.length);
        Cpu cpu = JitMachines.machine(code, 0x1000, 1);
        cpu.setReg16(Cpu.ESP, 0x8000);
        assertThat(cpu.run(10_000)).isEqualTo(StopReason.HALTED);
        assertThat(cpu.translatedBlocks()).isGreaterThanOrEqualTo(2);
        assertThat(cpu.reg16(Cpu.EAX)).isEqualTo(50 + 350);
    }

    @Test
    void aHostWriteDropsTheBlocksItOverwrites() {
        byte[] code = {
            (byte) 0xB9, 0x10, 0x00,                    // 1000 mov cx, 16
            0x05, 0x01, 0x00,                           // 1003 add ax, 1
            (byte) 0xE2, (byte) 0xFB,                   // 1006 loop 1003
            (byte) 0xF4,                                // 1008 hlt
        };
        Cpu cpu = JitMachines.machine(code, 0x1000, 1);
        assertThat(cpu.run(1000)).isEqualTo(StopReason.HALTED);
        assertThat(cpu.reg16(Cpu.EAX)).isEqualTo(16);
        assertThat(cpu.translatedBlocks()).isPositive();
        cpu.memory().write8(0x1004, 3); // add ax, 3
        cpu.setIp(0x1000);
        assertThat(cpu.run(1000)).isEqualTo(StopReason.HALTED);
        assertThat(cpu.reg16(Cpu.EAX)).isEqualTo(16 + 48);
    }
}
