package io.amiforge.bench.cpu;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.CpuHost;
import io.amiforge.x86.cpu.Memory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Real-mode CPU speed in MIPS: a loop program (16-bit ALU ops, a memory read-modify-write,
 * a 32-bit add, DEC/JNZ and LOOP) runs {@link #INSTRUCTIONS} instructions per invocation;
 * the score in ops/us is millions of instructions per second. {@link #jit} {@code on} translates
 * the loop's blocks to JVM bytecode after {@link Cpu#DEFAULT_JIT_THRESHOLD} executions,
 * {@code off} interprets every instruction.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class CpuLoopBenchmark {

    static final int INSTRUCTIONS = 10_000_000;

    /**
     * 0000:1000  outer: mov bx, 1000
     *            inner: add ax, bx / xor dx, ax / add [0x2000], ax / add esi, ecx / dec bx / jnz inner
     *            loop outer / jmp 0x1000
     */
    static final byte[] PROGRAM = {
        (byte) 0xBB, (byte) 0xE8, 0x03,                 // mov bx, 1000
        0x01, (byte) 0xD8,                              // add ax, bx
        0x31, (byte) 0xC2,                              // xor dx, ax
        0x01, 0x06, 0x00, 0x20,                         // add [0x2000], ax
        0x66, 0x01, (byte) 0xCE,                        // add esi, ecx
        0x4B,                                           // dec bx
        0x75, (byte) 0xF2,                              // jnz inner (-14)
        (byte) 0xE2, (byte) 0xED,                       // loop outer (-19)
        (byte) 0xEB, (byte) 0xEB,                       // jmp outer (-21)
    };

    /** Block translation on or off. */
    @Param({"on", "off"})
    public String jit;

    Cpu cpu;

    @Setup(Level.Trial)
    public void setUp() {
        cpu = newCpu(jit.equals("on"));
    }

    /** The interpreter alone (what {@link CpuAbComparison} loads reflectively from two builds). */
    static Cpu newCpu() {
        return newCpu(false);
    }

    static Cpu newCpu(boolean jit) {
        Memory mem = new Memory(Memory.LOW_LIMIT);
        mem.load(0x1000, PROGRAM, 0, PROGRAM.length);
        Cpu c = new Cpu(mem, CpuHost.NONE);
        c.setTranslation(jit ? Cpu.DEFAULT_JIT_THRESHOLD : 0);
        c.setIp(0x1000);
        return c;
    }

    @Benchmark
    @OperationsPerInvocation(INSTRUCTIONS)
    public long loop() {
        cpu.run(INSTRUCTIONS);
        return cpu.instructions();
    }

    /**
     * Measures without JMH: {@code java -cp ... io.amiforge.bench.cpu.CpuLoopBenchmark [seconds]}; alternates rounds
     * with block translation on and off in one JVM and prints MIPS per wall-clock second and per second of this
     * thread's CPU time (the latter is what one core delivers when the machine is shared).
     */
    public static void main(String[] args) {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        Cpu on = newCpu(true), off = newCpu(false);
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        int round = 0;
        while (System.nanoTime() < end) {
            round++;
            for (Cpu c : new Cpu[] {on, off}) {
                long t0 = System.nanoTime(), c0 = mx.getCurrentThreadCpuTime();
                c.run(INSTRUCTIONS * 5L);
                long t1 = System.nanoTime(), c1 = mx.getCurrentThreadCpuTime();
                System.out.printf("round %d, jit %s: %.1f MIPS wall, %.1f MIPS per CPU-second%n", round,
                        c == on ? "on " : "off", INSTRUCTIONS * 5.0 / ((t1 - t0) / 1000.0),
                        INSTRUCTIONS * 5.0 / ((c1 - c0) / 1000.0));
            }
        }
    }
}
