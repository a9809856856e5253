package io.amiforge.bench.cpu;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.hvm.GrubBootChain;
import io.amiforge.boot.hvm.HvmBoot;
import io.amiforge.boot.hvm.SyslinuxBootChain;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.imagefmt.build.ImageBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * In-process boot of an image built with {@code --bootloader grub} or {@code syslinux} (the
 * host's GRUB 2 / SYSLINUX 6, the tiny kernel) from the MBR to the point QEMU can be timed to:
 * GRUB's jump into the kernel's 32-bit entry ({@code kernel-handoff}) and, for SYSLINUX, the
 * tiny kernel's setup halting after SYSLINUX started it ({@code halted}, where it writes QEMU's
 * isa-debug-exit port). Run once with {@code -Damiforge.x86.jit=off} for the interpreter alone.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 5)
@Measurement(iterations = 5, time = 5)
@Fork(1)
public class BootloaderBootBenchmark {

    @Param({"grub", "syslinux"})
    public String loader;

    MemoryBlockDevice disk;

    @Setup
    public void setUp() {
        disk = image(loader);
    }

    /** A 64 MiB MBR image with the tiny kernel behind {@code loader} ({@code grub} or {@code syslinux}). */
    public static MemoryBlockDevice image(String loader) {
        MemoryBlockDevice d = new MemoryBlockDevice(loader + "-bench", 64L << 20);
        ImageBuilder.from((Path) null).partition(ImageBuilder.PartitionScheme.MBR).boot(ImageBuilder.BootMode.HVM)
                .kernel(TinyKernel.bzImage()).cmdline("console=ttyS0").sourceDateEpoch(1_700_000_000L)
                .bootCode(switch (loader) {
                    case "grub" -> new GrubBootChain(false);
                    case "syslinux" -> new SyslinuxBootChain();
                    default -> throw new IllegalArgumentException("loader " + loader + ": expected grub or syslinux");
                }).build(d);
        return d;
    }

    @Benchmark
    public BootReport boot() {
        return boot(disk, loader);
    }

    static BootReport boot(MemoryBlockDevice disk, String loader) {
        BootReport r = HvmBoot.boot(disk);
        BootReport.Result want = loader.equals("grub") ? BootReport.Result.KERNEL_HANDOFF : BootReport.Result.HALTED;
        if (r.result() != want) {
            throw new IllegalStateException(loader + ": expected " + want + ", got " + r.result() + ": " + r.error());
        }
        return r;
    }

    /**
     * Timed driver: {@code java -cp benchmarks.jar io.amiforge.bench.cpu.BootloaderBootBenchmark LOADER BOOTS
     * [IMAGE-OUT]}: boots the image BOOTS times in this JVM and prints the first boot's (cold) wall time and the
     * median of the rest, each with the booting thread's CPU time (what the boot cost a shared machine's core);
     * with IMAGE-OUT also writes the raw image there (for QEMU).
     */
    public static void main(String[] args) throws Exception {
        String loader = args.length > 0 ? args[0] : "grub";
        int boots = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        MemoryBlockDevice d = image(loader);
        if (args.length > 2) {
            byte[] all = new byte[(int) d.size()];
            d.read(0, java.lang.foreign.MemorySegment.ofArray(all));
            Files.write(Path.of(args[2]), all);
        }
        long[] ms = new long[boots], cpu = new long[boots];
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        BootReport last = null;
        for (int i = 0; i < boots; i++) {
            long t0 = System.nanoTime(), c0 = threads.getCurrentThreadCpuTime();
            last = boot(d, loader);
            ms[i] = (System.nanoTime() - t0) / 1000;
            cpu[i] = (threads.getCurrentThreadCpuTime() - c0) / 1000;
        }
        System.out.printf("%s, jit %s: %s after %d instructions; first boot %.1f ms (%.1f ms CPU), median of the next %d"
                + " %.1f ms (%.1f ms CPU)%n", loader, System.getProperty("amiforge.x86.jit", "on"), last.result(),
                last.instructions(), ms[0] / 1000.0, cpu[0] / 1000.0, boots - 1, medianAfterFirst(ms) / 1000.0,
                medianAfterFirst(cpu) / 1000.0);
    }

    /** Median of {@code v[1..]} (0 when there is none). */
    private static long medianAfterFirst(long[] v) {
        long[] rest = Arrays.copyOfRange(v, 1, v.length);
        Arrays.sort(rest);
        return rest.length == 0 ? 0 : rest[rest.length / 2];
    }
}
