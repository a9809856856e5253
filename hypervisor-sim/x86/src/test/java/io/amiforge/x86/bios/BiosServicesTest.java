package io.amiforge.x86.bios;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;
import org.junit.jupiter.api.Test;

/** The services other than the disk, called as the guest would call them. */
class BiosServicesTest {

    private static final int INT = 0xCD, HLT = 0xF4;

    @Test
    void postLeavesVectorsAtTheStubsAndTheDataAreaFilledIn() {
        Machine m = new Machine(8);
        assertThat(m.mem.read16(0x13 * 4)).isEqualTo(Cpu.BIOS_TRAP_OFFSET + 0x13);
        assertThat(m.mem.read16(0x13 * 4 + 2)).isEqualTo(Cpu.BIOS_SEGMENT);
        assertThat(m.mem.read16(0x41 * 4 + 2)).as("INT 41h points into the EBDA").isEqualTo(BiosDataArea.EBDA_SEGMENT);
        m.call(0x11);
        assertThat(m.cpu.reg16(Cpu.EAX)).isEqualTo(0x0220);
        m.call(0x12);
        assertThat(m.cpu.reg16(Cpu.EAX)).isEqualTo(BiosDataArea.BASE_MEMORY_KB);
        assertThat(m.bios.dataArea().videoMode()).isEqualTo(3);
    }

    @Test
    void teletypePrintsAndMovesTheCursorInTheDataArea() {
        Machine m = new Machine(8);
        for (char ch : "hi\r\nyo".toCharArray()) {
            m.cpu.setReg16(Cpu.EAX, 0x0E00 | ch);
            m.call(0x10);
        }
        assertThat(m.bios.screen().text()).isEqualTo("hi\nyo");
        assertThat(m.console.text()).as("the screen is not the serial console").isEmpty();
        assertThat(m.bios.dataArea().cursor(0)).as("row 1, column 2").isEqualTo(0x0102);
        m.cpu.setReg16(Cpu.EAX, 0x0300);
        m.cpu.setReg16(Cpu.EBX, 0);
        m.call(0x10);
        assertThat(m.cpu.reg16(Cpu.EDX)).as("AH=03h reads the same cursor").isEqualTo(0x0102);
        assertThat(m.budget.charged()).as("one instruction a character").isEqualTo(6);
    }

    @Test
    void e820WalksTheMemoryMap() {
        Machine m = new Machine(8);
        MemoryMap map = m.bios.memoryMap();
        int index = 0;
        do {
            m.cpu.setReg32(Cpu.EAX, 0xE820);
            m.cpu.setReg32(Cpu.EDX, 0x534D4150);
            m.cpu.setReg32(Cpu.ECX, 20);
            m.cpu.setReg32(Cpu.EBX, index);
            m.cpu.setSeg(Cpu.ES, 0);
            m.cpu.setReg16(Cpu.EDI, 0x600);
            m.call(0x15);
            assertThat(m.carry()).isFalse();
            MemoryMap.Entry e = map.entries().get(index);
            assertThat(m.mem.read32(0x600)).isEqualTo((int) e.base());
            assertThat(m.mem.read32(0x608)).isEqualTo((int) e.length());
            assertThat(m.mem.read32(0x610)).isEqualTo(e.type());
            index = m.cpu.reg32(Cpu.EBX);
        } while (index != 0);
        assertThat(map.entries()).hasSize(4);
        assertThat(map.entries().get(3)).isEqualTo(new MemoryMap.Entry(0x100000, (4L << 20) - 0x100000, 1));
    }

    @Test
    void unsupportedSystemServicesAnswerCarryAnd86h() {
        Machine m = new Machine(8);
        m.cpu.setReg32(Cpu.EAX, 0x5300); // APM
        m.call(0x15);
        assertThat(m.carry()).isTrue();
        assertThat(m.cpu.reg8(4)).isEqualTo(0x86);
    }

    @Test
    void blockMoveCopiesIntoExtendedMemoryAndIsCharged() {
        Machine m = new Machine(8);
        long gdt = 0x500;
        descriptor(m, gdt + 0x10, 0x9000);
        descriptor(m, gdt + 0x18, 0x200000);
        for (int i = 0; i < 1024; i++) {
            m.mem.write8(0x9000 + i, i);
        }
        m.cpu.setSeg(Cpu.ES, 0);
        m.cpu.setReg16(Cpu.ESI, (int) gdt);
        m.cpu.setReg16(Cpu.ECX, 513); // 1026 bytes: three 512-byte units
        m.cpu.setReg16(Cpu.EAX, 0x8700);
        m.call(0x15);
        assertThat(m.carry()).isFalse();
        assertThat(m.mem.read8(0x200000 + 1023)).isEqualTo(1023 & 0xFF);
        assertThat(m.budget.charged()).isEqualTo(3L * RunBudget.SECTOR_COST);
    }

    private static void descriptor(Machine m, long at, int base) {
        m.mem.write16(at, 0xFFFF);
        m.mem.write16(at + 2, base);
        m.mem.write8(at + 4, base >>> 16);
        m.mem.write8(at + 5, 0x93);
        m.mem.write8(at + 7, base >>> 24);
    }

    @Test
    void keyboardReadsTheScriptThenHaltsWhenItIsEmpty() {
        Machine m = new Machine(8, 1_000, "a");
        m.cpu.setReg16(Cpu.EAX, 0x0100);
        m.call(0x16);
        assertThat(m.cpu.flags() & Cpu.ZF).as("a key is waiting").isZero();
        assertThat(m.cpu.reg16(Cpu.EAX)).isEqualTo(0x1E61);
        m.cpu.setReg16(Cpu.EAX, 0);
        StopReason first = m.run(INT, 0x16, 0xB4, 0x00, INT, 0x16, HLT); // int 16h; mov ah,0; int 16h; hlt
        assertThat(first).isEqualTo(StopReason.HALTED);
        assertThat(m.cpu.reg16(Cpu.EAX)).as("the first read took 'a'").isEqualTo(0x0061);
        assertThat(m.cpu.stopDetail()).contains("keyboard script is empty");
    }

    @Test
    void shiftFlagsSayNoKeyIsHeld() {
        Machine m = new Machine(8);
        m.cpu.setReg16(Cpu.EAX, 0x02FF);
        m.call(0x16);
        assertThat(m.cpu.reg16(Cpu.EAX)).as("AH=02h: AL holds the flags, AH is kept").isEqualTo(0x0200);
        m.cpu.setReg16(Cpu.EAX, 0x12FF);
        m.call(0x16);
        assertThat(m.cpu.reg16(Cpu.EAX)).as("AH=12h: AL and the extended flags in AH, none held (SeaBIOS: AX=0)").isZero();
    }

    @Test
    void com1TransmitsToTheConsoleUnlessTheDivisorLatchIsOpen() {
        Machine m = new Machine(8);
        m.bios.out(0x3F8, 1, 'a');
        m.bios.out(0x3FB, 1, 0x80);
        m.bios.out(0x3F8, 1, 0x01); // divisor low byte
        m.bios.out(0x3FB, 1, 0x03);
        m.bios.out(0x3F8, 1, 'b');
        m.cpu.setReg16(Cpu.EAX, 0x0100 | 'c');
        m.call(0x14);
        assertThat(m.console.text()).isEqualTo("abc");
        assertThat(m.bios.in(0x3FD, 1)).isEqualTo(0x60);
        assertThat(m.bios.in(0x3FB, 1)).isEqualTo(0x03);
        assertThat(m.bios.in(0x2F8, 2)).as("nothing at COM2").isEqualTo(0xFFFF);
    }

    @Test
    void portsOpenA20RecordPostCodesAndResetStopsTheRun() {
        Machine m = new Machine(8);
        m.bios.out(0x80, 1, 0x1234);
        assertThat(m.bios.postCodes()).containsExactly(0x34);
        m.bios.out(0x64, 1, 0xD1);
        m.bios.out(0x60, 1, 0x02);
        assertThat(m.cpu.a20()).isTrue();
        assertThat(m.bios.in(0x92, 1)).isEqualTo(0x02);
        // mov al,1; out 92h,al
        assertThat(m.run(0xB0, 0x01, 0xE6, 0x92, HLT)).isEqualTo(StopReason.FAILED);
        assertThat(m.cpu.stopDetail()).contains("port 92h");
    }

    @Test
    void faultsAndUnknownVectorsAreNamedOrCounted() {
        Machine m = new Machine(8);
        assertThat(m.run(INT, 0x21, INT, 0x70, HLT)).isEqualTo(StopReason.HALTED);
        assertThat(m.bios.unhandledInterrupts()).as("INT 21h counted, IRQ vector 70h not").isEqualTo(1);
        assertThat(m.run(INT, 0x18)).isEqualTo(StopReason.FAILED);
        assertThat(m.bios.screen().text()).isEqualTo("No bootable device.");
        assertThat(m.run(INT, 0x00)).isEqualTo(StopReason.FAILED);
        assertThat(m.cpu.stopDetail()).startsWith("divide error (software interrupt; returns to 0000:7C02)");
    }

    @Test
    void bootstrapReloadsTheBootSectorAtMostThreeTimes() {
        Machine m = new Machine(8);
        byte[] mbr = new byte[512];
        mbr[0] = (byte) 0xCD; // int 19h
        mbr[1] = 0x19;
        mbr[510] = 0x55;
        mbr[511] = (byte) 0xAA;
        m.device.write(0, java.lang.foreign.MemorySegment.ofArray(mbr));
        assertThat(m.run(0xCD, 0x19)).isEqualTo(StopReason.FAILED);
        assertThat(m.cpu.stopDetail()).isEqualTo("the guest called INT 19h (bootstrap) more than 3 times");
        assertThat(m.bios.diskReads()).hasSize(3).allMatch(r -> r.equals(new DiskRead(0, 1, "0000:7C00")));
        assertThat(m.budget.sectors()).isEqualTo(3);
    }
}
