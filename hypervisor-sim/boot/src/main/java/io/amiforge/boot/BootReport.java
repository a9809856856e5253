package io.amiforge.boot;

import io.amiforge.x86.bios.DiskRead;
import io.amiforge.x86.bios.Screen;
import java.util.List;
import java.util.Map;

/**
 * What one simulated boot did, as {@code amiforge boot --json} prints it: the mode ({@code hvm}
 * or {@code pv}), the result, the stages passed in order, the console (for HVM the bytes the
 * guest sent to COM1, as EC2's console output; for PV the Xen console), the kernel it reached
 * (if any), the instruction count (0 for PV), every disk read, the error that stopped it (null
 * unless the result is {@code failed} or the boot stopped early for a reason worth naming),
 * details, and the VGA text screen at the end ({@code screen}: HVM only, null for PV, as EC2's
 * console screenshot). A guest failure is always a report, never a host exception.
 */
public record BootReport(
        String mode,
        Result result,
        List<Stage> stages,
        String console,
        Kernel kernel,
        long instructions,
        List<DiskRead> diskReads,
        String error,
        Map<String, Object> details,
        Screen screen) {

    public BootReport {
        stages = List.copyOf(stages);
        diskReads = List.copyOf(diskReads);
        details = details == null ? Map.of() : Map.copyOf(details);
    }

    /** A report without a screen (PV boots, which have none). */
    public BootReport(String mode, Result result, List<Stage> stages, String console, Kernel kernel, long instructions,
            List<DiskRead> diskReads, String error, Map<String, Object> details) {
        this(mode, result, stages, console, kernel, instructions, diskReads, error, details, null);
    }

    /** How a boot ended; {@link #wireName()} is the contract's spelling. */
    public enum Result {
        KERNEL_HANDOFF("kernel-handoff"),
        HALTED("halted"),
        PROTECTED_MODE("protected-mode"),
        BUDGET_EXHAUSTED("budget-exhausted"),
        FAILED("failed");

        private final String wireName;

        Result(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** One step of the boot chain ("BIOS POST", "MBR loaded", "VBR loaded", "menu.lst read", ...). */
    public record Stage(String name, String detail) {
    }

    /**
     * The kernel the boot handed off to: its path (if known), version string, command line,
     * and format ({@code bzImage}, {@code elf64}, {@code elf32}, ...), plus format-specific facts
     * (boot-protocol version, entry point, Xen notes) in {@code attributes}.
     */
    public record Kernel(String path, String version, String cmdline, String format, Map<String, Object> attributes) {
        public Kernel {
            attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        }
    }

}
