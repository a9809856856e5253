package io.amiforge.cli.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.cloud.Architecture;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.ImageState;
import io.amiforge.cloud.MachineImage;
import io.amiforge.cloud.VirtualizationType;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import io.amiforge.transfer.ChainImporter;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * Of an OVA the first disk is imported and the OVF facts (disk count, guest OS) go into the
 * image's description. A failure after the import deletes the snapshots it made.
 */
@Command(name = "import-image", description = {"Import a disk image (raw, qcow2, vpc, vhdx, vmdk, ova) as an EBS-backed HVM AMI"
        + " in one step, as EC2 VM Import does; prints the ImageId.",
        "Example: amiforge ami import-image disk.vmdk --name web"})
final class AmiImportImageCommand extends CloudCommandBase {

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
            image = cloud.registerImage(account, region, new Cloud.RegisterRequest(name, description(info), root.id(),
                    VirtualizationType.HVM, arch, null, null, null, List.of()));
        } catch (RuntimeException | Error e) {
            undo(store, taskId, snapshots, e);
            throw e;
        }
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("DeviceName", image.rootDeviceName());
        detail.put("DiskImageSize", Files.size(file));
        detail.put("Format", awsFormat(info.format()));
        detail.put("SnapshotId", root.id());
        detail.put("Status", "completed");
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ImportTaskId", taskId);
        json.put("ImageId", image.imageId());
        json.put("Architecture", arch.wireName());
        json.put("BootMode", bootMode);
        json.put("Description", image.description());
        json.put("Platform", "Linux");
        json.put("Status", "completed");
        json.put("SnapshotDetails", List.of(detail));
        print(json, image.imageId());
        return 0;
    }

    /** The image's description: the user's, or where it came from; an OVA's facts either way. */
    private String description(ImageInfo info) {
        String text = description != null ? description
                : "imported from %s (%s)".formatted(file.getFileName(), info.format());
        if (info.format().equals("ova")) {
            List<?> disks = (List<?>) info.formatSpecific().get("disks");
            Object firstId = disks.isEmpty() ? "-" : ((Map<?, ?>) disks.getFirst()).get("id");
            Object os = info.formatSpecific().get("operatingSystem");
            text += "; OVF %s: %d disk%s, boot disk %s imported; guest OS: %s".formatted(info.formatSpecific().get("ovf"), disks.size(),
                    disks.size() == 1 ? "" : "s", firstId, os == null ? "not given" : os);
        }
        return text;
    }

    /** The format as ImportImage's SnapshotDetails name it (VHD for qemu's vpc). */
    private static String awsFormat(String format) {
        return format.equals("vpc") ? "VHD" : format.toUpperCase(Locale.ROOT);
    }

    /** Removes what the import made (the volume, if still there, then the snapshots, newest first). */
    private static void undo(TenantStore store, String volume, List<SnapshotInfo> snapshots, Throwable failure) {
        try {
            if (store.listVolumes().stream().anyMatch(v -> v.name().equals(volume))) {
                store.deleteVolume(volume);
            }
            for (int i = snapshots.size() - 1; i >= 0; i--) {
                store.deleteSnapshot(snapshots.get(i).id());
            }
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
    }
}
