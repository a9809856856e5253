package io.amiforge.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;

/** Boots an instance's root device the way its image says (HVM: BIOS + MBR; paravirtual: PV-GRUB). */
@FunctionalInterface
public interface Booter {

    /** Boots {@code root} for {@code image} on {@code type}; guest failures are reports, never exceptions. */
    BootReport boot(BlockDevice root, MachineImage image, InstanceType type);
}
