package io.amiforge.sim.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.sim.boot.BootReport;
import io.amiforge.sim.boot.ImageBooter;

/**
 * The cloud's {@link Booter}: HVM images boot through the BIOS and the MBR, paravirtual ones
 * through PV-GRUB, with the instance type's memory and the image's architecture.
 */
public final class SimulatorBooter implements Booter {

    private final long maxInstructions;

    public SimulatorBooter(long maxInstructions) {
        this.maxInstructions = maxInstructions;
    }

    @Override
    public BootReport boot(BlockDevice root, MachineImage image, InstanceType type) {
        long memoryMiB = Math.min(type.memoryMiB(), 4096);
        return switch (image.virtualizationType()) {
            case HVM -> ImageBooter.hvm(root, maxInstructions, Math.min(memoryMiB, 256) << 20);
            case PARAVIRTUAL -> ImageBooter.pv(root, image.architecture().wireName(), memoryMiB);
        };
    }
}
