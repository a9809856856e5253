package io.amiforge.x86.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The paging unit on its own, where QEMU cannot be compared with (the boot program in the boot
 * module's {@code PagingTest} is): user-mode accesses (CPL 3 is not reachable from guest code
 * here), reserved bits of a 4 MiB entry, the TLB going stale until INVLPG or a flush, a fault
 * while delivering #PF becoming #DF, and the stack becoming unusable (a triple fault). Tables
 * are written from Java; expected values follow the Intel SDM vol. 3 ch. 4.
 */
class PagingTranslationTest {

    private static final int PD = 0x10000, PT = 0x11000;
    private static final int P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;

    private Memory mem;
    private Exec x;

    @BeforeEach
    void identityMap() {
        mem = new Memory(8L << 20);
        x = new Exec(mem, new DecodeCache(), new SingleStepConformanceTest.NullHost(), null);
        mem.write32(PD, PT | P | RW | US);
        for (int i = 0; i < 1024; i++) {
            mem.write32(PT + 4L * i, i << 12 | P | RW | US);
        }
        x.cr3 = PD;
        x.cr0 = Paging.CR0_PG | 1;
        x.pe = true;
        x.pg = true;
        x.fastEnd = 0;
        x.a20 = Memory.A20_OPEN;
        mem.setA20(true);
        protectedMode(0x2000, 0x9000);
        gate(0x2000, 8, 0x5000);
        gate(0x2000, 14, 0x5100);
    }

    private int pte(int page) {
        return mem.read32(PT + 4L * page);
    }

    private void setPte(int page, int value) {
        mem.write32(PT + 4L * page, value);
    }

    /** Runs a translation that must fault; returns the error code it raised (CR2 holds the address). */
    private int pageFault(int lin, int access) {
        x.pendingErrorCode = -1;
        assertThatThrownBy(() -> x.paging.translate(x, lin, access)).isSameAs(CpuSignal.UNWIND);
        assertThat(x.faultVector).isEqualTo(14);
        assertThat(x.cr2).isEqualTo(lin);
        return x.faultErrorCode;
    }

    @Test
    void accessedAndDirtyBitsAreSetAsTheAccessNeeds() {
        assertThat(x.paging.translate(x, 0x5123, Paging.READ)).isEqualTo(0x5123);
        assertThat(pte(5) & (A | D)).isEqualTo(A);
        assertThat(mem.read32(PD) & A).as("the directory entry walked through").isEqualTo(A);
        x.paging.translate(x, 0x5124, Paging.WRITE);
        assertThat(pte(5) & (A | D)).as("a write to a clean page walks again for the dirty bit").isEqualTo(A | D);
        assertThat(x.paging.peek(x, 0x6000)).isEqualTo(0x6000);
        assertThat(pte(6) & A).as("peek leaves no trace").isZero();
    }

    @Test
    void supervisorWritesToReadOnlyPagesOnlyFaultWithWriteProtect() {
        setPte(0x30, 0x30000 | P);
        assertThat(x.paging.translate(x, 0x30010, Paging.WRITE)).isEqualTo(0x30010);
        setPte(0x31, 0x31000 | P);
        x.cr0 |= Paging.CR0_WP;
        x.paging.flush();
        assertThat(pageFault(0x31004, Paging.WRITE)).isEqualTo(0b011);
        assertThat(pte(0x31) & (A | D)).as("no accessed bit for a denied access").isZero();
        assertThat(x.paging.translate(x, 0x31004, Paging.READ)).isEqualTo(0x31004);
    }

    @Test
    void userAccessesNeedTheUserBitAndWriteAccessAtBothLevels() {
        setPte(0x32, 0x32000 | P | RW);
        assertThat(pageFault(0x32000, Paging.READ | Paging.USER)).isEqualTo(0b101);
        setPte(0x33, 0x33000 | P | US);
        assertThat(x.paging.translate(x, 0x33000, Paging.READ | Paging.USER)).isEqualTo(0x33000);
        assertThat(pageFault(0x33000, Paging.WRITE | Paging.USER)).as("even with CR0.WP clear").isEqualTo(0b111);
        setPte(0x34, 0);
        assertThat(pageFault(0x34008, Paging.WRITE | Paging.USER)).as("not present").isEqualTo(0b110);
        mem.write32(PD, PT | P | US); // read-only directory entry: no user write anywhere below it
        x.paging.flush();
        assertThat(pageFault(0x35000, Paging.WRITE | Paging.USER)).isEqualTo(0b111);
    }

    @Test
    void fourMegabytePagesNeedPseAndReservedBitsFault() {
        mem.write32(PD + 4, 0x00400000 | P | RW | PS);
        x.cr4 = 0;
        assertThat(pageFault(0x00412345, Paging.READ)).as("without CR4.PSE the entry names a table (zeros at 4 MiB)")
                .isZero();
        x.cr4 = Paging.CR4_PSE;
        x.paging.flush();
        assertThat(x.paging.translate(x, 0x00412345, Paging.WRITE)).isEqualTo(0x00412345);
        assertThat(mem.read32(PD + 4) & (A | D)).isEqualTo(A | D);
        mem.write32(PD + 8, 0x00400000 | 1 << 13 | P | RW | PS);
        assertThat(pageFault(0x00800000, Paging.READ)).as("bit 13 of a 4 MiB entry: reserved (no PSE-36)")
                .isEqualTo(0b1001);
    }

    @Test
    void theTlbKeepsTranslationsUntilInvlpgOrAFlush() {
        x.cr4 = Paging.CR4_PSE;
        assertThat(x.paging.translate(x, 0x5000, Paging.READ)).isEqualTo(0x5000);
        setPte(5, 0x6000 | P | RW);
        assertThat(x.paging.translate(x, 0x5000, Paging.READ)).as("stale, as on hardware").isEqualTo(0x5000);
        x.paging.invalidate(0x5FFF);
        assertThat(x.paging.translate(x, 0x5000, Paging.READ)).isEqualTo(0x6000);
        mem.write32(PD + 4, 0x00400000 | P | RW | PS);
        assertThat(x.paging.translate(x, 0x00401000, Paging.READ)).isEqualTo(0x00401000);
        assertThat(x.paging.translate(x, 0x00702000, Paging.READ)).isEqualTo(0x00702000);
        mem.write32(PD + 4, 0x00000000 | P | RW | PS);
        x.paging.invalidate(0x00401000);
        assertThat(x.paging.translate(x, 0x00702000, Paging.READ)).as("INVLPG drops all of a 4 MiB page")
                .isEqualTo(0x00302000);
        setPte(5, 0x7000 | P | RW);
        x.paging.flush();
        assertThat(x.paging.translate(x, 0x5000, Paging.READ)).isEqualTo(0x7000);
    }

    /** Protected mode with a flat 32-bit code segment, an IDT at {@code idt} and the stack at {@code esp}. */
    private void protectedMode(int idt, int esp) {
        mem.write32(0x1008, 0x0000FFFF);
        mem.write32(0x100C, 0x00CF9A00);
        x.gdtBase = 0x1000;
        x.gdtLimit = 15;
        x.idtBase = idt;
        x.idtLimit = 0xFF;
        x.sattr[Cpu.SS] |= CpuState.ATTR_BIG;
        x.slim[Cpu.SS] = -1;
        x.segmentsChanged();
        x.r[Cpu.ESP] = esp;
    }

    private void gate(int idt, int vector, int handler) {
        mem.write32(idt + 8L * vector, 0x0008_0000 | handler & 0xFFFF);
        mem.write32(idt + 8L * vector + 4, handler & 0xFFFF0000 | 0x8E00);
    }

    @Test
    void aPageFaultWhileDeliveringAPageFaultIsADoubleFault() {
        int idt = 0x2FA0; // entry 8 ends below 0x3000, entry 14 starts above it
        protectedMode(idt, 0x9000);
        gate(idt, 8, 0x5000);
        gate(idt, 14, 0x5100);
        setPte(3, 0); // the page holding IDT entry 14
        setPte(0x200, 0);
        x.pendingErrorCode = -1;
        assertThatThrownBy(() -> Bus.rd32(x, 0, 0x200000)).isSameAs(CpuSignal.UNWIND);
        assertThat(x.faultVector).isEqualTo(8);
        assertThat(x.ip).isEqualTo(0x5000);
        assertThat(x.cr2).as("the IDT entry the delivery could not read").isEqualTo(idt + 14 * 8);
        assertThat(mem.read32(0x9000 - 16)).as("#DF's error code").isZero();
        assertThat(x.delivering).isZero();
    }

    @Test
    void anUnmappedStackDuringAFaultIsATripleFault() {
        setPte(8, 0); // the stack's page
        setPte(0x200, 0);
        assertThatThrownBy(() -> Bus.rd8(x, 0, 0x200000)).isSameAs(CpuSignal.STOP);
        assertThat(x.stopReason).isEqualTo(StopReason.FAILED);
        assertThat(x.stopDetail).startsWith("triple fault: vector 0Eh raised while delivering vector 08h")
                .contains("CR2=00008FFC");
    }

    @Test
    void crossPageWritesFaultBeforeWritingAnything() {
        setPte(6, 0);
        mem.write32(0x5FFC, 0x11223344);
        assertThatThrownBy(() -> Bus.wr32(x, 0, 0x5FFE, 0xAABBCCDD)).isSameAs(CpuSignal.UNWIND);
        assertThat(x.cr2).isEqualTo(0x6000);
        assertThat(mem.read32(0x5FFC)).isEqualTo(0x11223344);
    }
}
