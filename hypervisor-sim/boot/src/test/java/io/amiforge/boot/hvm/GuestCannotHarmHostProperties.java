package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import java.lang.foreign.MemorySegment;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/** Whatever bytes a disk holds, a boot ends in a report within its budget, never a host exception. */
class GuestCannotHarmHostProperties {

    @Property(tries = 300)
    void randomBootCodeAlwaysEndsInAReport(@ForAll @Size(510) byte[] code, @ForAll @Size(2048) byte[] rest) {
        MemoryBlockDevice d = new MemoryBlockDevice("fuzz", 64 * 512);
        byte[] s0 = java.util.Arrays.copyOf(code, 512);
        s0[510] = 0x55;
        s0[511] = (byte) 0xAA;
        d.write(0, MemorySegment.ofArray(s0));
        d.write(512, MemorySegment.ofArray(rest));
        BootReport r = HvmBoot.boot(d, HvmBoot.Options.defaults().withMaxInstructions(200_000).withMemoryBytes(4L << 20));
        assertThat(r.instructions()).isLessThanOrEqualTo(200_000 + 65_536);
        assertThat(r.result()).isNotNull();
        assertThat(r.error() == null || !r.error().startsWith("simulator error")).as(r.error()).isTrue();
        if (r.result() == BootReport.Result.FAILED || r.result() == BootReport.Result.BUDGET_EXHAUSTED) {
            assertThat(r.error()).isNotBlank();
        }
    }
}
