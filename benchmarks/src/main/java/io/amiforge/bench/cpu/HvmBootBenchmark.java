package io.amiforge.bench.cpu;

import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.hvm.AmiforgeBootChain;
import io.amiforge.boot.hvm.HvmBoot;
import io.amiforge.boot.hvm.TinyKernel;
import io.amiforge.imagefmt.build.BootPayload;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Wall time of a whole simulated HVM boot of the project's own image (MBR -> loader -> bzImage
 * setup): {@link #mbrToHandoff} stops at the kernel hand-off (a copy of the tiny kernel under
 * another version string, so it is treated as a foreign kernel), {@link #mbrToTinyKernelHalt}
 * runs the tiny kernel's setup to its HLT.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class HvmBootBenchmark {

    MemoryBlockDevice tinyDisk;
    MemoryBlockDevice foreignDisk;

    @Setup
    public void setUp() {
        byte[] kernel = TinyKernel.bzImage();
        tinyDisk = disk(kernel, "console=ttyS0 root=/dev/xvda1");
        byte[] foreign = kernel.clone();
        byte[] tag = TinyKernel.VERSION_PREFIX.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < foreign.length - tag.length; i++) {
            if (Arrays.equals(foreign, i, i + tag.length, tag, 0, tag.length)) {
                foreign[i] = 'X';
                break;
            }
        }
        foreignDisk = disk(foreign, "console=ttyS0 root=/dev/xvda1");
    }

    /** A 4 MiB disk: MBR partition table, the boot chain at LBA 0/1, the kernel at LBA 64. */
    public static MemoryBlockDevice disk(byte[] kernel, String cmdline) {
        MemoryBlockDevice d = new MemoryBlockDevice("bench-disk", 4L << 20);
        byte[] s0 = new byte[512];
        s0[446] = (byte) 0x80;
        s0[450] = (byte) 0x83;
        s0[454] = 0;
        s0[455] = 8; // start LBA 2048
        s0[459] = 0x18; // 6144 sectors
        d.write(0, MemorySegment.ofArray(s0));
        long sectors = (kernel.length + 511) / 512;
        d.write(64 * 512L, MemorySegment.ofArray(Arrays.copyOf(kernel, (int) sectors * 512)));
        new AmiforgeBootChain().install(d, 1, new BootPayload(List.of(new BootPayload.Extent(64, sectors)),
                kernel.length, List.of(), 0, cmdline));
        return d;
    }

    @Benchmark
    public BootReport mbrToHandoff() {
        BootReport r = HvmBoot.boot(foreignDisk);
        if (r.result() != BootReport.Result.KERNEL_HANDOFF) {
            throw new IllegalStateException("expected kernel-handoff, got " + r.result() + ": " + r.error());
        }
        return r;
    }

    @Benchmark
    public BootReport mbrToTinyKernelHalt() {
        BootReport r = HvmBoot.boot(tinyDisk);
        if (r.result() != BootReport.Result.HALTED) {
            throw new IllegalStateException("expected halted, got " + r.result() + ": " + r.error());
        }
        return r;
    }
}
