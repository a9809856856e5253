package io.amiforge.bench.sweep;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Where and when a run happened, shown beside its charts: CPU model, cores, memory, JDK, git
 * commit (of the working directory, {@code unknown} outside a checkout), seed and date.
 *
 * @param cpu CPU model from {@code /proc/cpuinfo}, or the architecture
 * @param cores processors available to the JVM
 * @param memoryBytes physical memory of the machine
 * @param jdk JDK vendor and version
 * @param commit git commit of the working directory, or {@code unknown}
 * @param seed the workload seed (0 for JMH results, which carry none)
 * @param date when the run ended, ISO-8601
 */
public record Environment(String cpu, int cores, long memoryBytes, String jdk, String commit, long seed, String date) {

    /** This machine now, for a run with {@code seed}. */
    public static Environment current(long seed) {
        return new Environment(probeCpu(), Runtime.getRuntime().availableProcessors(), memory(),
                System.getProperty("java.vendor") + " " + Runtime.version(), probeCommit(), seed, Instant.now().toString());
    }

    private static String probeCpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        } catch (IOException e) {
            // not Linux: fall back to the architecture
        }
        return System.getProperty("os.arch");
    }

    private static long memory() {
        return ManagementFactory.getPlatformMXBean(com.sun.management.OperatingSystemMXBean.class).getTotalMemorySize();
    }

    /** {@code git rev-parse HEAD} in the working directory, bounded to 5 s; {@code unknown} when it fails. */
    private static String probeCommit() {
        try {
            Process git = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            git.getOutputStream().close();
            if (!git.waitFor(5, TimeUnit.SECONDS)) {
                git.destroyForcibly();
                return "unknown";
            }
            String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return git.exitValue() == 0 && out.matches("[0-9a-f]{40}") ? out : "unknown";
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }
}
