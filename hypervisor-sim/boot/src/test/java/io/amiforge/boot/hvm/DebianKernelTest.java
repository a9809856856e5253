package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.imagefmt.build.BootPayload;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import io.amiforge.x86.bios.DiskRead;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real Debian kernel ({@code apt-get download linux-image-*-amd64}, the unsigned cloud
 * flavour when offered) on a disk laid out by hand, booted through the project's boot chain:
 * the hand-off reports the kernel's own version string, boot protocol and command line; with
 * followKernel the kernel's real setup code runs until it enters protected mode and the E820
 * map it collected is reported. The download is cached in java.io.tmpdir.
 */
@Tag("interop")
class DebianKernelTest {

    static final String CMDLINE = "root=/dev/xvda1 ro console=ttyS0,115200 earlyprintk=serial";
    static Path vmlinuz;

    @BeforeAll
    static void fetchKernel() throws IOException {
        Path aptGet = Interop.tool("apt-get");
        Path aptCache = Interop.tool("apt-cache");
        Path dpkgDeb = Interop.tool("dpkg-deb");
        Path cache = Path.of(System.getProperty("java.io.tmpdir"), "amiforge-interop-kernels");
        Files.createDirectories(cache);
        Path found = findVmlinuz(cache);
        if (found == null) {
            Processes.Result search = Processes.run(List.of(aptCache.toString(), "search", "--names-only",
                    "^linux-image-[0-9.]+-[0-9]+-(cloud-)?amd64(-unsigned)?$"));
            List<String> names = search.output().lines().map(l -> l.split(" ")[0]).toList();
            String pkg = pick(names);
            Interop.unless(pkg != null, "no linux-image-*-amd64 package offered by apt-cache: " + search.output());
            Processes.Result dl = Processes.run(cache, List.of(aptGet.toString(), "download", pkg));
            Interop.unless(dl.exitCode() == 0, "apt-get download " + pkg + " failed: " + dl.output());
            Path deb;
            try (Stream<Path> s = Files.list(cache)) {
                deb = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst().orElseThrow();
            }
            Processes.run(List.of(dpkgDeb.toString(), "-x", deb.toString(), cache.resolve("root").toString())).orFail();
            found = findVmlinuz(cache);
        }
        Interop.unless(found != null, "no boot/vmlinuz-* in the downloaded kernel package");
        vmlinuz = found;
    }

    static String pick(List<String> names) {
        for (String suffix : List.of("-cloud-amd64-unsigned", "-amd64-unsigned", "-amd64")) {
            String best = names.stream().filter(n -> n.endsWith(suffix) && !n.contains("-rt-"))
                    .filter(n -> !(suffix.equals("-amd64-unsigned") && n.contains("cloud")))
                    .filter(n -> !(suffix.equals("-amd64") && n.contains("cloud")))
                    .max(Comparator.naturalOrder()).orElse(null);
            if (best != null) {
                return best;
            }
        }
        return null;
    }

    static Path findVmlinuz(Path cache) throws IOException {
        Path boot = cache.resolve("root/boot");
        if (!Files.isDirectory(boot)) {
            return null;
        }
        try (Stream<Path> s = Files.list(boot)) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).findFirst().orElse(null);
        }
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
        String release = vmlinuz.getFileName().toString().substring("vmlinuz-".length());
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
    void debianKernelSetupRunsUntilProtectedModeAndCollectsTheE820Map() throws IOException {
        byte[] kernel = Files.readAllBytes(vmlinuz);
        // without console=ttyS0: the setup code would echo every character to COM1 as well
        BootReport r = HvmBoot.boot(diskWithKernel(kernel, "root=/dev/xvda1 ro"),
                HvmBoot.Options.defaults().withFollowKernel(true));
        assertThat(r.result()).as(r.error() + "\n" + r.console() + "\n" + r.details())
                .isEqualTo(BootReport.Result.PROTECTED_MODE);
        // the kernel's own setup code printed through INT 10h (arch/x86/boot/edd.c)
        assertThat(r.console()).contains("Probing EDD (edd=off to disable)... ok");
        List<Map<String, Object>> e820 = (List<Map<String, Object>>) r.details().get("e820");
        assertThat(e820).hasSize(4);
        assertThat(e820.get(0)).containsEntry("base", "0x0").containsEntry("length", "0x9FC00").containsEntry("type", 1);
        assertThat(e820.get(3)).containsEntry("base", "0x100000");
    }
}
