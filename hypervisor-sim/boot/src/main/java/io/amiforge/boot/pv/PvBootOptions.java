package io.amiforge.boot.pv;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * How to PV-boot a volume: the instance's architecture and memory, and the two things that
 * come from elsewhere in amiforge: the volume's partitions ({@code partitions}, returning an
 * empty list for an unpartitioned volume) and a filesystem opened on a device
 * ({@code fileSystem}). Either function may throw an
 * {@link AmiforgeException}; PV-GRUB reports it as a failed boot.
 *
 * @param architecture the instance architecture the kernel must match
 * @param memoryMiB the guest's memory in MiB (16 to 1048576)
 * @param partitions the volume's partitions, in table order; empty when unpartitioned
 * @param fileSystem opens the filesystem on a whole volume or a partition
 */
public record PvBootOptions(
        Architecture architecture,
        long memoryMiB,
        Function<BlockDevice, List<BlockDevice>> partitions,
        Function<BlockDevice, GuestFileSystem> fileSystem) {

    public PvBootOptions {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(partitions, "partitions");
        Objects.requireNonNull(fileSystem, "fileSystem");
        if (memoryMiB < 16 || memoryMiB > (1L << 20)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "PV guest memory " + memoryMiB + " MiB is out of range; expected 16 to 1048576 MiB");
        }
    }

    /** The instance architectures PV-GRUB exists for. */
    public enum Architecture {
        /** 64-bit: start_info magic {@code xen-3.0-x86_64}, ELF64 EM_X86_64 kernels. */
        X86_64("x86_64"),
        /** 32-bit PAE: start_info magic {@code xen-3.0-x86_32p}, ELF32 EM_386 kernels. */
        I386("i386");

        private final String wireName;

        Architecture(String wireName) {
            this.wireName = wireName;
        }

        /** As EC2 spells it. */
        public String wireName() {
            return wireName;
        }

        /** Parses "x86_64" / "i386" (EC2's names). */
        public static Architecture of(String name) {
            for (Architecture a : values()) {
                if (a.wireName.equals(name)) {
                    return a;
                }
            }
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "architecture '" + name + "' is not supported for PV; expected x86_64 or i386");
        }
    }
}
