package io.amiforge.imagefmt.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.ImageFormats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real {@code kill -9} of a child JVM that is writing to a qcow2 image: afterwards the image
 * has no corruption (leaked clusters are allowed, as qemu allows them) and holds every byte
 * flushed before the kill.
 */
@Tag("interop")
class Qcow2KillTest {

    @TempDir
    Path dir;

    @Test
    void killNineWhileWritingLeavesAConsistentImage() throws Exception {
        Path image = dir.resolve("killed.qcow2");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), CrashWriter.class.getName(), image.toString()))
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            String line = out.readLine();
            assertThat(line).as("child output").isEqualTo("FLUSHED");
            Thread.sleep(700); // let it write (and flush) some more
        } finally {
            child.destroyForcibly(); // SIGKILL
            child.waitFor(30, TimeUnit.SECONDS);
        }
        var check = Qemu.img(dir, "check", image.toString());
        assertThat(check.exitCode()).as("qemu-img check (0 clean, 3 leaks only):\n%s", check.output()).isIn(0, 3);
        try (BlockDevice device = ImageFormats.open(image, true)) {
            byte[] back = new byte[2 << 20];
            device.read(1 << 20, MemorySegment.ofArray(back));
            for (int i = 0; i < back.length; i++) {
                if (back[i] != 0x5a) {
                    throw new AssertionError("flushed byte " + i + " lost after kill -9: " + back[i]);
                }
            }
        }
    }
}
