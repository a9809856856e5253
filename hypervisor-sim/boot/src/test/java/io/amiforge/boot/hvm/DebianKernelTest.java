package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.DebianKernelFixture;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.x86.bios.DiskRead;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Debian kernel (the pinned {@link DebianKernelFixture#CLOUD} kernel) on a
 * disk laid out by hand, booted through the project's boot chain: the hand-off reports the
 * kernel's own version string, boot protocol and command line; with followKernel the kernel's
 * real setup code runs until it enters protected mode and the E820 map it collected is reported.
 */
@Tag("interop")
class DebianKernelTest {

    static final String CMDLINE = "root=/dev/xvda1 ro console=ttyS0,115200 earlyprintk=serial";
    static Path vmlinuz;

    @TempDir
    static Path work;

    @BeforeAll
    static void unpackKernel() throws IOException {
        vmlinuz = DebianKernelFixture.vmlinuz(DebianKernelFixture.CLOUD, work);
    }

    static MemoryBlockDevice diskWithKernel(byte[] kernel) {
        return diskWithKernel(kernel, CMDLINE);
    }

    static MemoryBlockDevice diskWithKernel(byte[] kernel, String cmdline) {
        long kernelSectors = (kernel.length + 511) / 512;
        long size = (2048 + kernelSectors + 2048) * 512;
        MemoryBlockDevice d = new MemoryBlockDevice("debian-kernel-disk", size);
        byte[] s0 = new byte[512];
        s0[446] = (byte) 0x80;
        s0[446 + 4] = (byte) 0x83;
        AmiforgeBootChainTest.putInt(s0, 446 + 8, 2048);
        AmiforgeBootChainTest.putInt(s0, 446 + 12, (int) (size / 512 - 2048));
        s0[510] = 0x55;
        s0[511] = (byte) 0xAA;
        d.write(0, MemorySegment.ofArray(s0));
        d.write(2048L * 512, MemorySegment.ofArray(Arrays.copyOf(kernel, (int) kernelSectors * 512)));
        new AmiforgeBootChain().install(d, 1, new BootPayload(List.of(new BootPayload.Extent(2048, kernelSectors)),
                kernel.length, List.of(), 0, cmdline));
        return d;
    }

    @Test
    void debianKernelHandOffReportsItsVersionProtocolAndCommandLine() throws IOException {
        byte[] kernel = Files.readAllBytes(vmlinuz);
        String release = DebianKernelFixture.release(vmlinuz);
        BootReport r = HvmBoot.boot(diskWithKernel(kernel));
        assertThat(r.result()).as(r.error() + "\n" + r.console()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).startsWith(release + " (").contains("Debian");
        assertThat(r.kernel().cmdline()).isEqualTo(CMDLINE);
        assertThat((String) r.kernel().attributes().get("bootProtocol")).matches("2\\.1[0-9]");
        long loaded = r.diskReads().stream().filter(d -> d.lba() >= 2048).mapToLong(DiskRead::sectors).sum();
        assertThat(loaded).isEqualTo((kernel.length + 511) / 512);
    }

    @Test
    @SuppressWarnings("unchecked")
    void debianKernelSetupRunsThroughProtectedModeToThe32BitEntryWithTheE820Map() throws IOException {
        byte[] kernel = Files.readAllBytes(vmlinuz);
        // without console=ttyS0: the setup code would echo every character to COM1 as well
        BootReport r = HvmBoot.boot(diskWithKernel(kernel, "root=/dev/xvda1 ro"),
                HvmBoot.Options.defaults().withFollowKernel(true));
        assertThat(r.result()).as(r.error() + "\n" + r.console() + "\n" + r.details())
                .isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat((String) r.details().get("entry")).as("the setup code's own jump to code32_start")
                .startsWith("32-bit boot protocol at 0x100000");
        assertThat(r.kernel().version()).as("known from the real-mode entry").contains("Debian");
        // the kernel's own setup code printed through INT 10h (arch/x86/boot/edd.c)
        assertThat(r.screen().text()).contains("Probing EDD (edd=off to disable)... ok");
        assertThat(r.console()).as("no console=ttyS0: only the loader wrote to the serial port")
                .doesNotContain("Probing EDD");
        List<Map<String, Object>> e820 = (List<Map<String, Object>>) r.details().get("e820");
        assertThat(e820).hasSize(4);
        assertThat(e820.get(0)).containsEntry("base", "0x0").containsEntry("length", "0x9FC00").containsEntry("type", 1);
        assertThat(e820.get(3)).containsEntry("base", "0x100000");
    }
}
