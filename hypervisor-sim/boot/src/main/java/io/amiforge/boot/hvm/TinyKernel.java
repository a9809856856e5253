package io.amiforge.boot.hvm;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The project's own tiny guest kernel, a real bzImage (setup header "HdrS", boot protocol
 * 2.10): its real-mode setup prints a banner with its command line (read through
 * cmd_line_ptr) and the E820 memory map (INT 15h), then halts with interrupts off. Source:
 * {@code hypervisor-sim/boot/src/main/asm/tinykernel.asm}.
 */
public final class TinyKernel {

    /** Start of the kernel version string, by which {@link HvmBoot} recognises this kernel. */
    public static final String VERSION_PREFIX = "amiforge-tiny";

    private TinyKernel() {
    }

    /** The bzImage bytes (a fresh copy). */
    public static byte[] bzImage() {
        return resource("tinykernel.bin");
    }

    static byte[] resource(String name) {
        try (InputStream in = HvmBoot.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource io/amiforge/sim/boot/hvm/" + name + " missing from the build");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
