package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.x86.bios.DiskRead;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The project's boot chain (MBR + loader) loading the tiny kernel from a hand-laid-out disk. */
class AmiforgeBootChainTest {

    static final String CMDLINE = "console=ttyS0 root=/dev/xvda1 ro quiet";

    /** A 4 MiB disk with an MBR partition table (one active Linux partition from LBA 2048). */
    static MemoryBlockDevice partitionedDisk() {
        MemoryBlockDevice d = new MemoryBlockDevice("chain-disk", 4L << 20);
        byte[] s0 = new byte[512];
        s0[440] = 0x78; s0[441] = 0x56; s0[442] = 0x34; s0[443] = 0x12; // disk signature
        int p = 446;
        s0[p] = (byte) 0x80;
        s0[p + 4] = (byte) 0x83;
        putInt(s0, p + 8, 2048);
        putInt(s0, p + 12, 8192 - 2048);
        s0[510] = 0x55;
        s0[511] = (byte) 0xAA;
        d.write(0, MemorySegment.ofArray(s0));
        return d;
    }

    static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** Writes {@code data} to the given extents in order. */
    static void place(MemoryBlockDevice d, byte[] data, List<BootPayload.Extent> extents) {
        int off = 0;
        for (BootPayload.Extent e : extents) {
            int n = (int) Math.min(e.sectors() * 512, data.length - off);
            byte[] chunk = Arrays.copyOfRange(data, off, off + (int) (e.sectors() * 512));
            d.write(e.lba() * 512, MemorySegment.ofArray(chunk));
            off += n;
        }
    }

    @Test
    void tinyKernelBootsToItsBannerThroughTheChain() {
        MemoryBlockDevice d = partitionedDisk();
        byte[] kernel = TinyKernel.bzImage();
        // fragmented on purpose: the loader must follow the map
        List<BootPayload.Extent> ext = List.of(new BootPayload.Extent(100, 2), new BootPayload.Extent(300, 1),
                new BootPayload.Extent(500, 10));
        place(d, kernel, ext);
        new AmiforgeBootChain().install(d, 1, new BootPayload(ext, kernel.length, List.of(), 0, CMDLINE));

        byte[] s0 = new byte[512];
        d.read(0, MemorySegment.ofArray(s0));
        assertThat(s0[440]).as("disk signature untouched").isEqualTo((byte) 0x78);
        assertThat(s0[446]).as("partition table untouched").isEqualTo((byte) 0x80);

        BootReport r = HvmBoot.boot(d);
        assertThat(r.result()).as(r.error() + "\n" + r.console()).isEqualTo(BootReport.Result.HALTED);
        assertThat(r.console())
                .contains("amiforge loader")
                .contains("amiforge tiny kernel: real-mode setup running")
                .contains("command line: \"" + CMDLINE + "\"")
                .contains("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable")
                .contains("BIOS-e820: [mem 0x0000000000100000-0x000000000fffffff] usable")
                .endsWith("amiforge tiny kernel: halting\n");
        assertThat(r.screen().text()).as("the loader and the tiny kernel print on the screen and on COM1")
                .contains("amiforge loader", "amiforge tiny kernel: real-mode setup running", "amiforge tiny kernel: halting");
        assertThat(r.kernel().version()).startsWith("amiforge-tiny 1.0");
        assertThat(r.kernel().cmdline()).isEqualTo(CMDLINE);
        assertThat(r.kernel().attributes()).containsEntry("bootProtocol", "2.10").containsEntry("typeOfLoader", 0xFF);
        assertThat(r.diskReads()).extracting(DiskRead::lba).contains(0L, 1L, 100L, 300L, 500L);
        assertThat(r.stages()).extracting(BootReport.Stage::name)
                .containsSubsequence("MBR loaded", "loader stage", "kernel hand-off", "halted");
    }

    @Test
    void foreignKernelStopsAtTheHandOffWithVersionProtocolAndCmdline() {
        MemoryBlockDevice d = partitionedDisk();
        byte[] kernel = TestKernels.foreign("6.1.0-99-fake");
        byte[] initrd = new byte[100_000];
        Arrays.fill(initrd, (byte) 0x5A);
        List<BootPayload.Extent> k = List.of(new BootPayload.Extent(64, 5));
        List<BootPayload.Extent> i = List.of(new BootPayload.Extent(1000, 100), new BootPayload.Extent(1200, 100));
        place(d, kernel, k);
        place(d, initrd, i);
        new AmiforgeBootChain().install(d, 1, new BootPayload(k, kernel.length, i, initrd.length, "init=/bin/sh"));
        BootReport r = HvmBoot.boot(d);
        assertThat(r.result()).as(r.error() + "\n" + r.console()).isEqualTo(BootReport.Result.KERNEL_HANDOFF);
        assertThat(r.kernel().version()).startsWith("6.1.0-99-fake");
        assertThat(r.kernel().cmdline()).isEqualTo("init=/bin/sh");
        assertThat(r.kernel().attributes()).containsEntry("bootProtocol", "2.10").containsEntry("ramdiskSize", 100_000L)
                .containsEntry("setupBase", "90000");
        assertThat(r.console()).contains("Loading initrd").contains("Starting kernel")
                .doesNotContain("real-mode setup running");

        BootReport followed = HvmBoot.boot(d, HvmBoot.Options.defaults().withFollowKernel(true));
        assertThat(followed.result()).isEqualTo(BootReport.Result.HALTED);
        assertThat(followed.console()).contains("command line: \"init=/bin/sh\"");
    }

    @Test
    void installerRejectsBadPayloads() {
        MemoryBlockDevice d = partitionedDisk();
        List<BootPayload.Extent> k = List.of(new BootPayload.Extent(64, 5));
        AmiforgeBootChain chain = new AmiforgeBootChain();
        assertThatThrownBy(() -> chain.install(d, 1, new BootPayload(k, 2560, List.of(), 0, "x".repeat(3000))))
                .isInstanceOf(AmiforgeException.class).hasMessageContaining("2047");
        assertThatThrownBy(() -> chain.install(d, 1, new BootPayload(List.of(new BootPayload.Extent(8, 5)), 2560,
                List.of(), 0, ""))).hasMessageContaining("overlaps the loader");
        assertThatThrownBy(() -> chain.install(d, 1, new BootPayload(k, 10_000, List.of(), 0, "")))
                .hasMessageContaining("cover 2560 bytes");
        assertThatThrownBy(() -> chain.install(d, 8190, new BootPayload(k, 2560, List.of(), 0, "")))
                .hasMessageContaining("no room");
    }
}
