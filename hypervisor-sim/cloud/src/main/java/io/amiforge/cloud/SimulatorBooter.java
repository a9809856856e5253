package io.amiforge.cloud;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.image.ImageBooter;

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
            case PARAVIRTUAL -> pvGrubFlavourMismatch(root, image)
                    .orElseGet(() -> ImageBooter.pv(root, image.architecture().wireName(), memoryMiB));
        };
    }

    /**
     * The boot failure an AKI of the wrong PV-GRUB flavour gives: the {@code hd0} kernel looks
     * for {@code menu.lst} on the whole volume, the {@code hd00} kernel on its first partition.
     */
    static java.util.Optional<BootReport> pvGrubFlavourMismatch(BlockDevice root, MachineImage image) {
        java.util.Optional<PvGrubKernels.Flavour> flavour = PvGrubKernels.flavourOf(image.kernelId(), image.architecture());
        if (flavour.isEmpty()) {
            return java.util.Optional.empty();
        }
        boolean partitioned = !ImageBooter.partitions(root).isEmpty();
        boolean wantsPartition = flavour.get() == PvGrubKernels.Flavour.HD00;
        if (partitioned == wantsPartition) {
            return java.util.Optional.empty();
        }
        String error = wantsPartition
                ? "kernel " + image.kernelId() + " is PV-GRUB hd00, which reads menu.lst from the first partition, but the"
                        + " root volume has no partition table: register the image with the hd0 PV-GRUB kernel"
                : "kernel " + image.kernelId() + " is PV-GRUB hd0, which reads menu.lst from the whole volume, but the"
                        + " root volume is partitioned: register the image with the hd00 PV-GRUB kernel";
        String console = "Xen Minimal OS (pv-grub)\n\n    GNU GRUB  version 0.97\n\n"
                + (wantsPartition ? "Error 22: No such partition\n" : "Error 17: Cannot mount selected partition\n");
        return java.util.Optional.of(new BootReport("pv", BootReport.Result.FAILED,
                java.util.List.of(new BootReport.Stage("PV-GRUB started", "kernel " + image.kernelId()),
                        new BootReport.Stage("failed", error)),
                console, null, 0, java.util.List.of(), error, java.util.Map.of("pvGrubFlavour", flavour.get().name().toLowerCase())));
    }
}
