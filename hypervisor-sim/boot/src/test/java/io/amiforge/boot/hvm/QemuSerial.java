package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Boots a raw disk image on QEMU TCG + SeaBIOS ({@code qemu-system-x86_64 -accel tcg}, IDE,
 * 256 MiB like {@link HvmBoot}'s default, {@code isa-debug-exit} at port 0xF4 where the tiny
 * kernel writes 0 when it halts) and returns what reached COM1. The disk is opened with
 * {@code snapshot=on}, so QEMU never writes it.
 */
final class QemuSerial {

    private QemuSerial() {
    }

    /** COM1's bytes as text, after the guest left through isa-debug-exit (QEMU exit code (0 << 1) | 1). */
    static String boot(Path image, Path serial) throws IOException {
        Path qemu = Interop.tool("qemu-system-x86_64");
        Processes.Result q = Processes.command(qemu.toString(), "-accel", "tcg", "-m", "256", "-display", "none", "-monitor", "none",
                "-no-reboot", "-drive", "file=" + image + ",format=raw,if=ide,snapshot=on", "-serial", "file:" + serial,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=4").deadline(Duration.ofSeconds(90)).run();
        assertThat(q.exitCode()).as("QEMU exits through isa-debug-exit: " + q.output() + "\nserial:\n"
                + (Files.exists(serial) ? Files.readString(serial, StandardCharsets.ISO_8859_1) : "")).isEqualTo(1);
        return Files.readString(serial, StandardCharsets.ISO_8859_1);
    }

    /**
     * COM1's lines up to and including the first that {@code last} accepts, after which QEMU is
     * killed (a real kernel would go on booting); serial on QEMU's stdout.
     */
    static List<String> linesUntil(Path image, Predicate<String> last) {
        Path qemu = Interop.tool("qemu-system-x86_64");
        List<String> lines = new ArrayList<>();
        try (Processes.Child q = Processes.command(qemu.toString(), "-accel", "tcg", "-m", "256", "-display", "none", "-monitor",
                "none", "-no-reboot", "-drive", "file=" + image + ",format=raw,if=ide,snapshot=on", "-serial", "stdio")
                .deadline(Duration.ofSeconds(90)).start()) {
            for (String line = q.readLine(); line != null; line = q.readLine()) {
                lines.add(line);
                if (last.test(line)) {
                    return lines;
                }
            }
        }
        throw new AssertionError("QEMU's COM1 ended without the line looked for:\n" + String.join("\n", lines));
    }

    /**
     * QEMU booting {@code image} reaches the same kernel with the same command line as our
     * report {@code r} did: the kernel's first log line names the version the setup header
     * gave us, and its {@code Command line:} line is {@code r}'s command line. Returns QEMU's
     * lines before the kernel's own (the loader's), for a caller that compares those too.
     */
    static List<String> assertSameKernelAsQemu(io.amiforge.boot.BootReport r, Path image) {
        List<String> qemu = linesUntil(image, l -> l.contains("Command line: "));
        int linux = qemu.size() - 2;
        // the setup header's version string is the banner without the compiler part: "RELEASE (BUILDER) #1 SMP ..."
        String version = r.kernel().version();
        int build = version.indexOf(") #");
        assertThat(build).as(version).isPositive();
        assertThat(qemu.get(linux)).as("the kernel's first line on QEMU")
                .contains("] Linux version " + version.substring(0, build + 1) + " (").endsWith(version.substring(build + 2));
        assertThat(qemu.getLast()).endsWith("] Command line: " + r.kernel().cmdline());
        return qemu.subList(0, linux);
    }
}
