package io.amiforge.cli.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.cloud.Architecture;
import io.amiforge.cloud.BlockDeviceMapping;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.ImageState;
import io.amiforge.cloud.MachineImage;
import io.amiforge.cloud.VirtualizationType;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.ova.OvaAppliance;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import io.amiforge.transfer.ChainImporter;
import io.amiforge.transfer.OvaImporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ami import-image}: EC2 VM Import's path in one step. A disk image in any format amiforge
 * reads is checked to boot through legacy BIOS, imported into the region's store (one snapshot
 * per layer of its backing chain), and the top snapshot is registered as an EBS-backed HVM
 * image; the import's volume is then deleted, as VM Import leaves only the snapshot and the AMI.
 * Of an OVA every disk is imported (one snapshot each): the first that boots is the root device,
 * the others are mapped as /dev/sdb, /dev/sdc ... as VM Import does, and the OVF facts (system
 * name, guest OS, CPUs, memory, disk capacities) go into the image's description. A failure
 * after the import deletes the snapshots it made.
 */
@Command(name = "import-image", description = {"Import a disk image (raw, qcow2, vpc, vhdx, vmdk, ova) as an EBS-backed HVM AMI"
        + " in one step, as EC2 VM Import does; prints the ImageId.",
        "Example: amiforge ami import-image disk.vmdk --name web"})
final class AmiImportImageCommand extends CloudCommandBase {

    /** The letters of the devices after the root, /dev/sdb to /dev/sdz, for an OVA's other disks. */
    private static final String EXTRA_DEVICES = "bcdefghijklmnopqrstuvwxyz";

    @Parameters(index = "0", paramLabel = "FILE", description = {"The disk image (probed by content unless -f names the format).",
            "Example: disk.vhdx"})
    Path file;

    @Mixin
    ImageOptions imageOptions = new ImageOptions();

    @Option(names = "--name", required = true, description = {"Name of the new image (unique per owner and region).",
            "Example: --name web"})
    String name;

    @Option(names = "--description", description = {"Free text (default: where the image came from; an OVA's facts are added).",
            "Example: --description 'web server'"})
    String description;

    @Option(names = "--architecture", paramLabel = "x86_64|i386|arm64", defaultValue = "x86_64",
            description = {"Architecture: x86_64, i386 or arm64 (default x86_64).", "Example: --architecture i386"})
    String architecture;

    @Option(names = "--boot-mode", paramLabel = "legacy-bios", defaultValue = "legacy-bios",
            description = {"Boot mode: legacy-bios (the default and the only one the simulator boots; uefi is refused).",
                    "Example: --boot-mode legacy-bios"})
    String bootMode;

    @Override
    protected int run(Cloud cloud, String account, String region) throws Exception {
        if (!bootMode.equals("legacy-bios")) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "--boot-mode " + bootMode
                    + ": amiforge boots HVM images through legacy BIOS only (--boot-mode legacy-bios)");
        }
        Architecture arch = Architecture.parse(architecture);
        ImageSource source = imageOptions.source(file);
        if (!Files.isRegularFile(file)) {
            throw new AmiforgeException(Files.exists(file) ? Kind.INVALID_INPUT : Kind.NOT_FOUND,
                    Files.exists(file) ? "InvalidParameterValue" : "FileNotFound", file + ": " + (Files.exists(file)
                    ? "not a regular file" : "no such file"));
        }
        // Checked before the import too, so that a taken name costs no copy (register checks again).
        boolean taken = cloud.describeImages(account, region, new Cloud.ImageFilter(List.of(account), null, null)).stream()
                .anyMatch(i -> i.name().equals(name) && i.state() != ImageState.DEREGISTERED);
        if (taken) {
            throw new AmiforgeException(Kind.USAGE, "InvalidAMIName.Duplicate",
                    "AMI name '" + name + "' is already in use by an image of account " + account + "; nothing was imported");
        }
        if (ImageFormats.formatOf(source).name().equals("ova")) {
            return importOva(cloud, account, region, arch);
        }
        ImageInfo info = ImageFormats.info(source);
        try (BlockDevice disk = ImageFormats.open(source, true)) {
            String why = LegacyBootDisk.whyNot(disk);
            if (why != null) {
                throw new AmiforgeException(Kind.INVALID_INPUT, "ClientError", "%s (%s, %d bytes) is not bootable: %s"
                        .formatted(file, info.format(), info.virtualSize(), why));
            }
        }
        String taskId = Ids.next("import-ami");
        TenantStore store = cloud.store(region, account);
        ChainImporter.Result imported = ChainImporter.importImage(store, taskId, source, 4096);
        List<SnapshotInfo> snapshots = imported.snapshots();
        SnapshotInfo root = snapshots.getLast();
        MachineImage image;
        try {
            store.deleteVolume(taskId);
            image = cloud.registerImage(account, region, new Cloud.RegisterRequest(name, description(info.format(), null, null),
                    root.id(), VirtualizationType.HVM, arch, null, null, null, List.of()));
        } catch (RuntimeException | Error e) {
            undo(store, List.of(taskId), snapshots, e);
            throw e;
        }
        printImported(taskId, image, arch, List.of(detail(image.rootDeviceName(), Files.size(file), awsFormat(info.format()), root.id())));
        return 0;
    }

    /**
     * An OVA: every disk is imported, as VM Import does. The boot disk is the first in descriptor
     * order that boots through legacy BIOS; it becomes the root device, the others /dev/sdb,
     * /dev/sdc ... in descriptor order. An appliance without a bootable disk is refused with
     * each disk and why.
     */
    private int importOva(Cloud cloud, String account, String region, Architecture arch) {
        OvaAppliance appliance = OvaAppliance.read(file);
        if (appliance.disks().isEmpty()) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "ClientError", file + ": the OVF descriptor " + appliance.descriptor()
                    + " lists no disk");
        }
        if (appliance.disks().size() > 1 + EXTRA_DEVICES.length()) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "ClientError", "%s has %d disks; an image maps at most %d (the root, then %s)"
                    .formatted(file, appliance.disks().size(), 1 + EXTRA_DEVICES.length(), "/dev/sdb to /dev/sdz"));
        }
        OvaAppliance.Disk boot = null;
        List<String> reasons = new ArrayList<>();
        for (OvaAppliance.Disk disk : appliance.disks()) {
            try (BlockDevice device = appliance.open(disk)) { // also checks each disk against its capacity
                String why = LegacyBootDisk.whyNot(device);
                if (why == null && boot == null) {
                    boot = disk;
                } else if (why != null) {
                    reasons.add("disk %d '%s' (%s): %s".formatted(disk.number(), disk.id(), disk.member(), why));
                }
            }
        }
        if (boot == null) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "ClientError", "%s (ova, %d disk%s) has no disk that boots: %s".formatted(file,
                    appliance.disks().size(), appliance.disks().size() == 1 ? "" : "s", String.join("; ", reasons)));
        }
        List<OvaAppliance.Disk> order = new ArrayList<>(List.of(boot));
        for (OvaAppliance.Disk disk : appliance.disks()) {
            if (disk != boot) {
                order.add(disk);
            }
        }
        String taskId = Ids.next("import-ami");
        List<String> volumes = order.stream().map(d -> taskId + "-" + d.number()).toList();
        TenantStore store = cloud.store(region, account);
        List<OvaImporter.Imported> imported = OvaImporter.importDisks(store, appliance, order, volumes, 4096);
        List<SnapshotInfo> snapshots = imported.stream().map(OvaImporter.Imported::snapshot).toList();
        MachineImage image;
        try {
            for (String volume : volumes) {
                store.deleteVolume(volume);
            }
            List<BlockDeviceMapping> extra = new ArrayList<>();
            for (int i = 1; i < imported.size(); i++) {
                extra.add(BlockDeviceMapping.ebs("/dev/sd" + EXTRA_DEVICES.charAt(i - 1), snapshots.get(i).id(),
                        Math.max(1, Math.ceilDiv(imported.get(i).disk().capacity(), 1L << 30)), true));
            }
            image = cloud.registerImage(account, region, new Cloud.RegisterRequest(name, description("ova", appliance, boot),
                    snapshots.getFirst().id(), VirtualizationType.HVM, arch, null, null, null, extra));
        } catch (RuntimeException | Error e) {
            undo(store, volumes, snapshots, e);
            throw e;
        }
        List<Map<String, Object>> details = new ArrayList<>();
        for (int i = 0; i < imported.size(); i++) {
            OvaAppliance.Disk disk = imported.get(i).disk();
            details.add(detail(i == 0 ? image.rootDeviceName() : "/dev/sd" + EXTRA_DEVICES.charAt(i - 1), disk.archiveSize(), "VMDK",
                    snapshots.get(i).id()));
        }
        printImported(taskId, image, arch, details);
        return 0;
    }

    private static Map<String, Object> detail(String device, long diskImageSize, String format, String snapshotId) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("DeviceName", device);
        detail.put("DiskImageSize", diskImageSize);
        detail.put("Format", format);
        detail.put("SnapshotId", snapshotId);
        detail.put("Status", "completed");
        return detail;
    }

    private void printImported(String taskId, MachineImage image, Architecture arch, List<Map<String, Object>> details) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ImportTaskId", taskId);
        json.put("ImageId", image.imageId());
        json.put("Architecture", arch.wireName());
        json.put("BootMode", bootMode);
        json.put("Description", image.description());
        json.put("Platform", "Linux");
        json.put("Status", "completed");
        json.put("SnapshotDetails", details);
        print(json, image.imageId());
    }

    /**
     * The image's description: the user's, or where it came from; an OVA's facts (see
     * {@link OvaAppliance#summary}) and its boot disk either way.
     */
    private String description(String format, OvaAppliance appliance, OvaAppliance.Disk boot) {
        String text = description != null ? description : "imported from %s (%s)".formatted(file.getFileName(), format);
        return appliance == null ? text : text + "; " + appliance.summary() + "; boot disk %d '%s'".formatted(boot.number(), boot.id());
    }

    /** The format as ImportImage's SnapshotDetails name it (VHD for qemu's vpc). */
    private static String awsFormat(String format) {
        return format.equals("vpc") ? "VHD" : format.toUpperCase(Locale.ROOT);
    }

    /** Removes what the import made (its volumes, those still there, then the snapshots, newest first). */
    private static void undo(TenantStore store, List<String> volumes, List<SnapshotInfo> snapshots, Throwable failure) {
        try {
            for (String volume : volumes) {
                if (store.listVolumes().stream().anyMatch(v -> v.name().equals(volume))) {
                    store.deleteVolume(volume);
                }
            }
            for (int i = snapshots.size() - 1; i >= 0; i--) {
                store.deleteSnapshot(snapshots.get(i).id());
            }
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
    }
}
