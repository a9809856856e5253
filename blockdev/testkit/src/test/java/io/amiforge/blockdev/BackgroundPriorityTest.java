package io.amiforge.blockdev;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** {@link BackgroundPriority} lowers the calling thread only: nice 19 for it, the process's other threads unchanged. */
class BackgroundPriorityTest {

    @Test
    @EnabledOnOs(OS.LINUX)
    void lowersTheCallingThreadOnly() throws Exception {
        AtomicReference<Object> seen = new AtomicReference<>();
        Thread background = Thread.ofPlatform().start(() -> {
            try {
                boolean lowered = BackgroundPriority.lowerCurrentThread();
                seen.set(lowered ? niceOfThisThread() : "not lowered");
            } catch (Exception e) {
                seen.set(e);
            }
        });
        background.join();
        assertThat(seen.get()).as("nice of the lowered thread").isEqualTo(19);
        assertThat(niceOfThisThread()).as("nice of the caller's thread").isNotEqualTo(19);
    }

    /** Field 19 of /proc/thread-self/stat, counted after the command name (which may hold spaces). */
    private static int niceOfThisThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(after[16]); // fields 3.. follow the name: field 19 is at index 16
    }
}
