package io.amiforge.bench.cpu;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Compares two builds of the CPU on {@link CpuLoopBenchmark}'s loop program in one JVM, for a
 * shared machine where separate runs drift with the other processes' load: each build's
 * {@code benchmarks.jar} is loaded in its own class loader, the two run alternately (the order
 * flips every round), and each round is timed in this thread's CPU time. The first third of
 * the rounds is warm-up; the rest are reported as median, quartiles and extremes in MIPS per
 * CPU-second.
 *
 * <pre>java -cp benchmarks.jar io.amiforge.bench.cpu.CpuAbComparison OLD.jar NEW.jar [rounds]</pre>
 */
public final class CpuAbComparison {

    private static final long INSTRUCTIONS_PER_ROUND = 20_000_000L;

    private CpuAbComparison() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || args.length > 3) {
            System.err.println("usage: CpuAbComparison OLD-benchmarks.jar NEW-benchmarks.jar [rounds, default 45]");
            System.exit(2);
        }
        int rounds = args.length == 3 ? parseRounds(args[2]) : 45;
        Object[] cpus = new Object[2];
        Method[] run = new Method[2];
        for (int i = 0; i < 2; i++) {
            Path jar = Path.of(args[i]);
            if (!Files.isRegularFile(jar)) {
                System.err.println("not a file: " + jar + " (expected a benchmarks.jar of the build to compare)");
                System.exit(2);
            }
            // platform loader as parent: each jar brings its own io.amiforge classes
            URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()},
                    ClassLoader.getPlatformClassLoader());
            Method newCpu = loader.loadClass(CpuLoopBenchmark.class.getName()).getDeclaredMethod("newCpu");
            newCpu.setAccessible(true);
            cpus[i] = newCpu.invoke(null);
            run[i] = cpus[i].getClass().getMethod("run", long.class);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int warmUp = rounds / 3;
        double[][] mips = new double[2][rounds - warmUp];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int i = r % 2 == 0 ? k : 1 - k;
                long c0 = mx.getCurrentThreadCpuTime();
                run[i].invoke(cpus[i], INSTRUCTIONS_PER_ROUND);
                long c1 = mx.getCurrentThreadCpuTime();
                if (r >= warmUp) {
                    mips[i][r - warmUp] = INSTRUCTIONS_PER_ROUND / ((c1 - c0) / 1000.0);
                }
            }
        }
        for (int i = 0; i < 2; i++) {
            double[] m = mips[i];
            Arrays.sort(m);
            System.out.printf("%s: %d rounds, median %.1f, quartiles %.1f-%.1f, range %.1f-%.1f MIPS per CPU-second%n",
                    args[i], m.length, m[m.length / 2], m[m.length / 4], m[3 * m.length / 4], m[0], m[m.length - 1]);
        }
    }

    private static int parseRounds(String s) {
        try {
            int n = Integer.parseInt(s);
            if (n >= 6) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        System.err.println("rounds must be a whole number of at least 6, got '" + s + "'");
        System.exit(2);
        return 0;
    }
}
