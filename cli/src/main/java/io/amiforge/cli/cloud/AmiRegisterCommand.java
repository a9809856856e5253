package io.amiforge.cli.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Architecture;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.MachineImage;
import io.amiforge.cloud.VirtualizationType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ami register}: an EBS-backed image from a root snapshot, or an instance-store image from a bundle manifest. */
@Command(name = "register", description = {"Register an AMI from a root snapshot (EBS) or a bundle manifest (instance store).",
        "Example: amiforge ami register --name web --root-snapshot snap-0123456789abcdef0 --virtualization hvm"})
final class AmiRegisterCommand extends CloudCommandBase {

    @Option(names = "--name", required = true, description = {"Image name (unique per owner and region).", "Example: --name web"})
    String name;

    @Option(names = "--description", description = {"Free text.", "Example: --description 'web server'"})
    String description;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--root-snapshot", paramLabel = "SNAP", description = {"Root snapshot id (EBS-backed image).",
                "Example: --root-snapshot snap-0123456789abcdef0"})
        String rootSnapshot;

        @Option(names = "--manifest", paramLabel = "FILE", description = {"Bundle manifest (instance-store-backed image).",
                "Example: --manifest bundle/disk.raw.manifest.xml"})
        Path manifest;
    }

    @Option(names = "--cert", paramLabel = "FILE",
            description = {"With --manifest: the bundle owner's X.509 certificate (PEM), which verifies the manifest signature.", "Example: --cert cert.pem"})
    Path certificate;

    @Option(names = "--virtualization", required = true, paramLabel = "hvm|paravirtual",
            description = {"Virtualization type: hvm, or paravirtual (pv is accepted, as in boot and image build).",
            "Example: --virtualization pv"})
    String virtualization;

    @Option(names = "--architecture", paramLabel = "x86_64|i386|arm64", defaultValue = "x86_64",
            description = {"Architecture: x86_64, i386 or arm64 (default x86_64).",
            "Example: --architecture i386"})
    String architecture;

    @Option(names = "--kernel-id", paramLabel = "aki-..", description = {"PV-GRUB kernel (paravirtual; default: the region's hd0 PV-GRUB).",
            "Example: --kernel-id aki-919dcaf8"})
    String kernelId;

    @Option(names = "--ramdisk-id", paramLabel = "ari-..", description = {"Ramdisk (paravirtual images only).", "Example: --ramdisk-id ari-12345678"})
    String ramdiskId;

    @Option(names = "--root-device-name", paramLabel = "DEV", description = {"Default /dev/xvda (hvm) or /dev/sda1 (paravirtual).",
            "Example: --root-device-name /dev/xvda"})
    String rootDeviceName;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        VirtualizationType virt = VirtualizationType.parse(virtualization.equalsIgnoreCase("pv") ? "paravirtual" : virtualization);
        Architecture arch = Architecture.parse(architecture);
        MachineImage image;
        if (source.rootSnapshot != null) {
            Ids.require(Ids.Resource.SNAPSHOT, source.rootSnapshot);
            image = cloud.registerImage(account, region, new Cloud.RegisterRequest(name, description, source.rootSnapshot,
                    virt, arch, kernelId, ramdiskId, rootDeviceName, List.of()));
        } else {
            if (rootDeviceName != null) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterCombination",
                        "--root-device-name applies to EBS-backed images only");
            }
            if (certificate == null) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "MissingParameter",
                        "--manifest needs --cert: the certificate of the key that signed the bundle");
            }
            image = cloud.registerBundle(account, region, source.manifest, certificate, name, virt, arch, kernelId);
        }
        print(Map.of("ImageId", image.imageId()), image.imageId());
        return 0;
    }
}
