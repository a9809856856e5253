package io.amiforge.x86.bios;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class Int13DiskTest {

    private static void chs(Machine m, int ah, int count, int cylinder, int head, int sector, int es, int bx) {
        m.cpu.setReg16(Cpu.EAX, ah << 8 | count);
        m.cpu.setReg16(Cpu.ECX, (cylinder & 0xFF) << 8 | (cylinder >>> 2 & 0xC0) | sector);
        m.cpu.setReg16(Cpu.EDX, head << 8 | 0x80);
        m.cpu.setSeg(Cpu.ES, es);
        m.cpu.setReg16(Cpu.EBX, bx);
    }

    // disk address packet at 0000:0600: 16 bytes, count, buffer 0000:8000, LBA
    private static void packet(Machine m, int count, long lba) {
        m.mem.write8(0x600, 0x10);
        m.mem.write8(0x601, 0);
        m.mem.write16(0x602, count);
        m.mem.write16(0x604, 0x8000);
        m.mem.write16(0x606, 0);
        m.mem.write32(0x608, (int) lba);
        m.mem.write32(0x60C, (int) (lba >>> 32));
        m.cpu.setSeg(Cpu.DS, 0);
        m.cpu.setReg16(Cpu.ESI, 0x600);
        m.cpu.setReg16(Cpu.EDX, 0x80);
    }

    @Test
    void chsReadTranslatesThroughTheGeometryAndRecordsTheRead() {
        Machine m = new Machine(16 * 63 * 2);
        chs(m, 0x02, 2, 1, 1, 1, 0x0800, 0x0010); // cylinder 1, head 1, sector 1 = LBA (16 + 1) * 63
        m.call(0x13);
        int lba = 17 * 63;
        assertThat(m.carry()).isFalse();
        assertThat(m.cpu.reg16(Cpu.EAX)).as("AH=0, AL=sectors read").isEqualTo(2);
        assertThat(m.mem.read8(0x8010)).isEqualTo(lba & 0xFF);
        assertThat(m.mem.read8(0x8010 + 512)).isEqualTo((lba + 1) & 0xFF);
        assertThat(m.bios.diskReads()).containsExactly(new DiskRead(lba, 2, "0800:0010"));
        assertThat(m.bios.diskState().sectorsRead()).isEqualTo(2);
    }

    @Test
    void aReadPastTheEndReadsWhatThereIsAndReportsSectorNotFound() {
        Machine m = new Machine(8);
        packet(m, 4, 6);
        m.cpu.setReg8(4, 0x42);
        m.call(0x13);
        assertThat(m.carry()).isTrue();
        assertThat(m.cpu.reg8(4)).isEqualTo(0x04);
        assertThat(m.mem.read16(0x602)).as("sectors done, written back to the packet").isEqualTo(2);
        assertThat(m.mem.read8(0x8000 + 512)).isEqualTo(7);
        assertThat(m.mem.read8(0x474)).as("status in the BIOS data area").isEqualTo(0x04);

        m.cpu.setReg16(Cpu.EAX, 0x0100);
        m.call(0x13);
        assertThat(m.cpu.reg8(4)).as("AH=01h returns the last status").isEqualTo(0x04);
        assertThat(m.carry()).isTrue();
    }

    @Test
    void invalidRequestsAnswerBadCommand() {
        Machine m = new Machine(8);
        chs(m, 0x02, 1, 0, 0, 0, 0, 0x8000); // sector 0 does not exist
        m.call(0x13);
        assertThat(m.carry()).isTrue();
        assertThat(m.cpu.reg16(Cpu.EAX)).isEqualTo(0x0100);

        chs(m, 0x02, 1, 0, 0, 1, 0, 0x8000);
        m.cpu.setReg8(2, 0x81); // a second disk there is not
        m.call(0x13);
        assertThat(m.cpu.reg8(4)).isEqualTo(0x01);

        packet(m, 200, 0); // more than 127 sectors to a segment:offset buffer
        m.cpu.setReg8(4, 0x42);
        m.call(0x13);
        assertThat(m.cpu.reg8(4)).isEqualTo(0x01);
        assertThat(m.bios.diskReadCount()).isZero();
    }

    @Test
    void writesGoToTheOverlayNeverToTheDevice() {
        Machine m = new Machine(8);
        for (int i = 0; i < 512; i++) {
            m.mem.write8(0x9000 + i, 0xA5);
        }
        chs(m, 0x03, 1, 0, 0, 3, 0, 0x9000); // write LBA 2
        m.call(0x13);
        assertThat(m.carry()).isFalse();
        chs(m, 0x02, 1, 0, 0, 3, 0, 0xA000);
        m.call(0x13);
        assertThat(m.mem.read8(0xA000 + 100)).as("the guest reads back what it wrote").isEqualTo(0xA5);
        byte[] onDevice = new byte[512];
        m.device.read(2 * 512L, MemorySegment.ofArray(onDevice));
        assertThat(onDevice[100]).as("the device is untouched").isEqualTo((byte) 2);
        assertThat(m.bios.disk().sectorsWritten()).isEqualTo(1);
    }

    @Test
    void driveParametersAndEddCheckDescribeTheGeometry() {
        Machine m = new Machine(16 * 63 * 3);
        m.cpu.setReg16(Cpu.EAX, 0x0800);
        m.cpu.setReg16(Cpu.EDX, 0x0080);
        m.call(0x13);
        assertThat(m.cpu.reg8(5)).as("last cylinder").isEqualTo(2);
        assertThat(m.cpu.reg8(1)).as("sectors per track").isEqualTo(63);
        assertThat(m.cpu.reg8(6)).as("last head").isEqualTo(15);
        assertThat(m.cpu.reg8(2)).as("drives").isEqualTo(1);

        m.cpu.setReg16(Cpu.EAX, 0x4100);
        m.cpu.setReg16(Cpu.EDX, 0x0080);
        m.cpu.setReg16(Cpu.EBX, 0x55AA);
        m.call(0x13);
        assertThat(m.cpu.reg16(Cpu.EBX)).isEqualTo(0xAA55);
        assertThat(m.cpu.reg8(4)).as("EDD 3.0").isEqualTo(0x30);

        m.mem.write16(0x700, 0x1A);
        m.cpu.setReg16(Cpu.ESI, 0x700);
        m.cpu.setReg16(Cpu.EAX, 0x4800);
        m.call(0x13);
        assertThat(m.mem.read32(0x700 + 16)).as("total sectors").isEqualTo(16 * 63 * 3);
        assertThat(m.mem.read16(0x700 + 24)).as("bytes per sector").isEqualTo(512);
    }

    @Test
    void everySectorIsChargedAndARequestBeyondTheBudgetEndsTheRun() {
        Machine m = new Machine(256, 20 * RunBudget.SECTOR_COST, "");
        packet(m, 100, 0);
        m.cpu.setReg8(4, 0x42);
        StopReason why = m.run(0xCD, 0x13, 0xF4); // int 13h; hlt
        assertThat(why).isEqualTo(StopReason.BUDGET);
        assertThat(m.budget.state()).isEqualTo(RunBudget.State.INSTRUCTIONS_SPENT);
        // INT 13h and its stub leave 20 * 256 - 2 for sectors: 19 sectors move, the 20th's charge ends the run
        assertThat(m.bios.diskState().sectorsRead()).isEqualTo(19);
        assertThat(m.budget.sectors()).isEqualTo(20);
        assertThat(m.cpu.stopDetail()).startsWith("instruction budget of 5120 exhausted at ")
                .contains("2 instructions executed + 5120 charged for BIOS work (20 disk sectors at 256 each)");
        assertThat(m.budget.nextSlice(m.cpu.instructions())).isZero();
    }
}
