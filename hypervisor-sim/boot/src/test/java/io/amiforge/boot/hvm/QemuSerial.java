package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

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
}
