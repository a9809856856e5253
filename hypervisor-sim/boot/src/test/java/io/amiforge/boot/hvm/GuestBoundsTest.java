package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.x86.bios.RunBudget;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A guest's disk work draws on its instruction budget, and a boot has a wall-clock limit. */
class GuestBoundsTest {

    // start: mov ax,027Fh (read 127 sectors); mov cx,0001h (cylinder 0, sector 1); mov dx,0080h;
    //        mov bx,8000h (to 0000:8000, clear of the code); int 13h; jmp start
    private static final byte[] READ_LOOP = {(byte) 0xB8, 0x7F, 0x02, (byte) 0xB9, 0x01, 0x00, (byte) 0xBA,
        (byte) 0x80, 0x00, (byte) 0xBB, 0x00, (byte) 0x80, (byte) 0xCD, 0x13, (byte) 0xEB, (byte) 0xF0};
    private static final int INSTRUCTIONS_PER_LOOP = 7; // six instructions and the BIOS stub
    private static final byte[] ENDLESS_LOOP = {(byte) 0xEB, (byte) 0xFE};

    private static MemoryBlockDevice disk(byte[] code) {
        MemoryBlockDevice d = HvmBootTest.disk(256);
        HvmBootTest.put(d, 0, HvmBootTest.bootSector(code));
        return d;
    }

    @Test
    void aGuestLoopingOnDiskReadsExhaustsTheBudgetBySectors() {
        long budget = 2_000_000;
        BootReport r = HvmBoot.boot(disk(READ_LOOP), HvmBoot.Options.defaults().withMaxInstructions(budget));

        assertThat(r.result()).as(r.error()).isEqualTo(BootReport.Result.BUDGET_EXHAUSTED);
        long sectors = ((Number) r.details().get("sectorsRead")).longValue();
        long charged = (sectors + 1) * RunBudget.SECTOR_COST; // the sector whose charge ended the run is not read
        assertThat(r.instructions() + charged).as("executed + charged").isGreaterThan(budget)
                .isLessThanOrEqualTo(budget + RunBudget.SECTOR_COST);
        // without the charge the CPU would run all 2 000 000 instructions and move 42 million sectors
        assertThat(r.instructions()).isLessThanOrEqualTo((sectors / 127 + 1) * INSTRUCTIONS_PER_LOOP);
        assertThat(r.error()).startsWith("instruction budget of 2000000 exhausted at ")
                .contains("disk sectors at " + RunBudget.SECTOR_COST + " each");
        assertThat(r.diskReads()).hasSize((int) (sectors / 127 + 2)); // the MBR, and every INT 13h call
    }

    // a budget of minutes of CPU time, a wall clock already past its limit at the first check
    private static BootReport bootWithTheClockRunOut(byte[] code) {
        HvmBoot.Options options = HvmBoot.Options.defaults().withMaxInstructions(50_000_000_000L)
                .withTimeLimit(Duration.ofNanos(1));
        BootReport r = HvmBoot.boot(disk(code), options);
        assertThat(r.result()).as(r.error()).isEqualTo(BootReport.Result.BUDGET_EXHAUSTED);
        return r;
    }

    @Test
    void theWallClockLimitStopsALongRun() {
        BootReport r = bootWithTheClockRunOut(ENDLESS_LOOP);
        assertThat(r.error()).startsWith("wall-clock limit of 1 ns reached at 0000:7C00 after ");
        assertThat(r.instructions()).as("stopped after the first slice").isEqualTo(RunBudget.SLICE);
    }

    @Test
    void theWallClockIsAlsoCheckedInsideDiskWork() {
        BootReport r = bootWithTheClockRunOut(READ_LOOP);
        assertThat(r.error()).startsWith("wall-clock limit of 1 ns reached at ");
        // the charges crossed a slice long before the CPU finished its first one
        assertThat(r.instructions()).isLessThan(RunBudget.SLICE);
    }

    @Test
    void optionsRefuseANonPositiveTimeLimit() {
        assertThatThrownBy(() -> HvmBoot.Options.defaults().withTimeLimit(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("timeLimit must be positive");
        assertThat(HvmBoot.Options.defaults().timeLimit()).isEqualTo(Duration.ofSeconds(30));
    }
}
