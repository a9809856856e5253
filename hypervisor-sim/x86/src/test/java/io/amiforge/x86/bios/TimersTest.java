package io.amiforge.x86.bios;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.Memory;
import io.amiforge.x86.cpu.StopReason;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The PIT, the PIC pair, IRQ 0 through the IVT, the BIOS tick count and the RTC/CMOS, in virtual time. */
class TimersTest {

    private static final long TICK = 65536 * Pit.INSTRUCTIONS_PER_COUNT;

    @Test
    void postProgramsTheTimerAndIrq0CountsBiosTicksWhileTheGuestHalts() {
        Machine m = new Machine(8, 10 * TICK + TICK / 2, "");
        // sti; l: hlt; jmp l
        assertThat(m.run(0xFB, 0xF4, 0xEB, 0xFD)).isEqualTo(StopReason.BUDGET);
        assertThat(m.bios.dataArea().ticks()).as("18.2 Hz: one tick per 65536 PIT counts").isEqualTo(10);
        assertThat(m.cpu.instructions()).as("the waits count as virtual time").isEqualTo(10 * TICK + TICK / 2);
        m.cpu.setReg16(Cpu.EAX, 0);
        m.call(0x1A);
        assertThat(m.cpu.reg16(Cpu.EDX)).as("INT 1Ah AH=00h reads the same count").isEqualTo(10);
    }

    @Test
    void hltWithInterruptsOffOrTheTimerMaskedStopsTheMachine() {
        Machine m = new Machine(8);
        assertThat(m.run(0xFA, 0xF4)).isEqualTo(StopReason.HALTED);
        assertThat(m.cpu.stopDetail()).contains("interrupts disabled");
        // mov al,0FFh; out 21h,al; sti; hlt
        Machine masked = new Machine(8);
        assertThat(masked.run(0xB0, 0xFF, 0xE6, 0x21, 0xFB, 0xF4)).isEqualTo(StopReason.HALTED);
        assertThat(masked.cpu.stopDetail()).contains("no interrupt source");
        assertThat(masked.cpu.instructions()).isLessThan(10);
    }

    @Test
    void aGuestHandlerReprogramsThePitAndCountsItsOwnInterrupts() {
        Machine m = new Machine(8, 1193 * Pit.INSTRUCTIONS_PER_COUNT * 100 + 1000, "");
        m.mem.write16(8 * 4, 0x0600); // IVT 08h -> 0000:0600
        m.mem.write16(8 * 4 + 2, 0);
        // inc word [500h]; mov al,20h; out 20h,al; iret
        int[] handler = {0xFF, 0x06, 0x00, 0x05, 0xB0, 0x20, 0xE6, 0x20, 0xCF};
        for (int i = 0; i < handler.length; i++) {
            m.mem.write8(0x600 + i, handler[i]);
        }
        // mov al,36h; out 43h,al; mov al,0A9h; out 40h,al; mov al,04h; out 40h,al (1193: 1 kHz); sti; l: hlt; jmp l
        assertThat(m.run(0xB0, 0x36, 0xE6, 0x43, 0xB0, 0xA9, 0xE6, 0x40, 0xB0, 0x04, 0xE6, 0x40, 0xFB, 0xF4, 0xEB, 0xFD))
                .isEqualTo(StopReason.BUDGET);
        assertThat(m.mem.read16(0x500)).as("one interrupt per 1193 counts").isEqualTo(100);
        assertThat(m.bios.dataArea().ticks()).as("the BIOS handler no longer runs").isZero();
    }

    @Test
    void theBiosIrq0HandlerChainsAHookedInt1ChAndReturnsToTheInterruptedCode() {
        Machine m = new Machine(8, 5 * TICK + TICK / 2, "");
        m.mem.write16(0x1C * 4, 0x0600); // IVT 1Ch -> 0000:0600, as SYSLINUX hooks it
        m.mem.write16(0x1C * 4 + 2, 0);
        // inc word [500h]; iret
        int[] handler = {0xFF, 0x06, 0x00, 0x05, 0xCF};
        for (int i = 0; i < handler.length; i++) {
            m.mem.write8(0x600 + i, handler[i]);
        }
        // sti; l: inc word [502h]; hlt; jmp l
        assertThat(m.run(0xFB, 0xFF, 0x06, 0x02, 0x05, 0xF4, 0xEB, 0xF9)).isEqualTo(StopReason.BUDGET);
        assertThat(m.bios.dataArea().ticks()).as("the BIOS still counts its ticks").isEqualTo(5);
        assertThat(m.mem.read16(0x500)).as("INT 1Ch once per tick").isEqualTo(5);
        assertThat(m.mem.read16(0x502)).as("each IRET came back to the halted loop").isEqualTo(6);
        assertThat(m.bios.unhandledInterrupts()).isZero();
    }

    @Test
    void channel2GatedThroughPort61hTimesAWaitAsLoadersDo() {
        Machine m = new Machine(8, 1_000_000, "");
        // in al,61h; and al,0FCh; out 61h,al; mov al,0B0h; out 43h,al; mov al,0E8h; out 42h,al; mov al,3;
        // out 42h,al; in al,61h; or al,1; out 61h,al; w: in al,61h; test al,20h; jz w; cli; hlt
        StopReason why = m.run(0xE4, 0x61, 0x24, 0xFC, 0xE6, 0x61, 0xB0, 0xB0, 0xE6, 0x43, 0xB0, 0xE8, 0xE6, 0x42,
                0xB0, 0x03, 0xE6, 0x42, 0xE4, 0x61, 0x0C, 0x01, 0xE6, 0x61, 0xE4, 0x61, 0xA8, 0x20, 0x74, 0xFA, 0xFA, 0xF4);
        assertThat(why).isEqualTo(StopReason.HALTED);
        assertThat(m.cpu.instructions()).as("1000 counts of 16 instructions, then a few more")
                .isBetween(1000 * Pit.INSTRUCTIONS_PER_COUNT, 1000 * Pit.INSTRUCTIONS_PER_COUNT + 30);
    }

    @Test
    void counterLatchAndReadBack() {
        Pit pit = new Pit();
        pit.write(0x43, 0x34, 0); // channel 0, word, mode 2
        pit.write(0x40, 0x00, 0);
        pit.write(0x40, 0x10, 0); // 4096
        pit.write(0x43, 0x00, 160); // latch at 10 counts
        int lo = pit.read(0x40, 5000), hi = pit.read(0x40, 5000);
        assertThat(hi << 8 | lo).isEqualTo(4096 - 10);
        pit.write(0x43, 0xE2, 320); // read-back status of channel 0
        assertThat(pit.read(0x40, 320)).as("output high, word access, mode 2").isEqualTo(0x80 | 0x30 | 0x04);
        assertThat(pit.pollIrq0(4095 * 16)).isFalse();
        assertThat(pit.pollIrq0(4096 * 16)).isTrue();
        assertThat(pit.pollIrq0(4096 * 16 + 1)).isFalse();
        assertThat(pit.nextIrq0(4096 * 16 + 1)).isEqualTo(2 * 4096 * 16);
    }

    @Test
    void picPrioritiesMasksAndEndOfInterrupt() {
        Pic pic = new Pic();
        for (int[] w : new int[][] {{0x20, 0x11}, {0x21, 0x20}, {0x21, 0x04}, {0x21, 0x01}, {0x21, 0x00},
                {0xA0, 0x11}, {0xA1, 0x28}, {0xA1, 0x02}, {0xA1, 0x01}, {0xA1, 0x00}}) {
            pic.write(w[0], w[1]);
        }
        pic.raise(3);
        pic.raise(1);
        pic.write(0x20, 0x0A);
        assertThat(pic.read(0x20)).as("IRR").isEqualTo(0x0A);
        assertThat(pic.acknowledge()).isEqualTo(0x21);
        assertThat(pic.acknowledge()).as("IRQ 3 waits while IRQ 1 is in service").isEqualTo(-1);
        pic.write(0x20, 0x0B);
        assertThat(pic.read(0x20)).as("ISR").isEqualTo(0x02);
        pic.write(0x20, 0x61); // specific EOI for IRQ 1
        assertThat(pic.acknowledge()).isEqualTo(0x23);
        pic.write(0x20, 0x20);
        pic.raise(10);
        assertThat(pic.acknowledge()).as("slave IRQ 10 through the cascade").isEqualTo(0x2A);
        pic.write(0x21, 0x01);
        pic.raise(0);
        assertThat(pic.acknowledge()).as("masked").isEqualTo(-1);
        assertThat(pic.read(0x21)).isEqualTo(0x01);
    }

    @Test
    void rtcReadsThePowerOnTimePlusVirtualTimeAndTheCmosHoldsTheMemorySize() {
        Memory mem = new Memory(64L << 20);
        Bios bios = new Bios(mem, new DiskDrive(new MemoryBlockDevice("d", 8 * 512)), new Keyboard(""), new Console(),
                new RunBudget(10 * Pit.INSTRUCTIONS_PER_SECOND, Duration.ofHours(1)), Instant.parse("2026-12-04T17:45:30Z"));
        Cpu cpu = new Cpu(mem, bios);
        bios.install(cpu);
        assertThat(cmos(bios, 0x00)).isEqualTo(0x30);
        assertThat(cmos(bios, 0x02)).isEqualTo(0x45);
        assertThat(cmos(bios, 0x04)).isEqualTo(0x17);
        assertThat(cmos(bios, 0x07)).isEqualTo(0x04);
        assertThat(cmos(bios, 0x08)).isEqualTo(0x12);
        assertThat(cmos(bios, 0x09)).isEqualTo(0x26);
        assertThat(cmos(bios, 0x32)).isEqualTo(0x20);
        assertThat(cmos(bios, 0x06)).as("Friday, counting Sunday as 1").isEqualTo(6);
        assertThat(cmos(bios, 0x15) | cmos(bios, 0x16) << 8).isEqualTo(640);
        assertThat(cmos(bios, 0x17) | cmos(bios, 0x18) << 8).as("KiB above 1 MiB").isEqualTo(63 * 1024);
        assertThat(cmos(bios, 0x34) | cmos(bios, 0x35) << 8).as("64 KiB units above 16 MiB").isEqualTo(48 * 16);
        bios.out(0x70, 1, 0x0B);
        bios.out(0x71, 1, 0x06); // binary, 24 hours
        assertThat(cmos(bios, 0x00)).isEqualTo(30);
        bios.out(0x70, 1, 0x40);
        bios.out(0x71, 1, 0x5A);
        assertThat(cmos(bios, 0x40)).as("CMOS RAM keeps what is written").isEqualTo(0x5A);

        // two virtual seconds later: sti; l: hlt; jmp l
        mem.load(0x7C00, new byte[] {(byte) 0xFB, (byte) 0xF4, (byte) 0xEB, (byte) 0xFD}, 0, 4);
        cpu.setSeg(Cpu.CS, 0);
        cpu.setIp(0x7C00);
        cpu.run(2 * Pit.INSTRUCTIONS_PER_SECOND);
        assertThat(cmos(bios, 0x00)).isEqualTo(32);
        cpu.setReg16(Cpu.EAX, 0x0200);
        bios.bios(0x1A, cpu);
        assertThat(cpu.reg16(Cpu.EDX) >>> 8).as("INT 1Ah seconds in BCD").isEqualTo(0x32);
        cpu.setReg16(Cpu.EAX, 0x0400);
        bios.bios(0x1A, cpu);
        assertThat(cpu.reg16(Cpu.ECX)).isEqualTo(0x2026);
        assertThat(cpu.reg16(Cpu.EDX)).isEqualTo(0x1204);
    }

    private static int cmos(Bios bios, int index) {
        bios.out(0x70, 1, index);
        return bios.in(0x71, 1);
    }

    @Test
    void aLowByteAloneLeavesTheRunningCountAsItWas() {
        // a guest wrote one byte of a word count to a running periodic channel (found by
        // GuestCannotHarmHostProperties: the reload became 0 and the next read divided by it)
        Pit pit = new Pit();
        pit.write(0x43, 0x34, 0); // channel 0, word, mode 2
        pit.write(0x40, 0x00, 0);
        pit.write(0x40, 0x00, 0); // 0 means 65536
        pit.write(0x40, 0x00, 16); // low byte of the next count only
        int low = pit.read(0x40, 32);
        int high = pit.read(0x40, 32);
        assertThat(high << 8 | low).isEqualTo((0x10000 - 2) & 0xFFFF);
        pit.write(0x40, 0x01, 48); // the high byte: count 0x0100 loads now
        pit.read(0x40, 64);
        assertThat(pit.read(0x40, 64)).isEqualTo(0x00);
    }
}
