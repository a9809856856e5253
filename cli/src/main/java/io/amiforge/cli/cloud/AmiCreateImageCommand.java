package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.MachineImage;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ami create-image INSTANCE --name N [--no-reboot]}: snapshot an EBS-backed instance and register it. */
@Command(name = "create-image", description = {"Create an AMI from an EBS-backed instance.",
        "Example: amiforge ami create-image i-0123456789abcdef0 --name web-v2"})
final class AmiCreateImageCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "INSTANCE", description = {"The EBS-backed instance whose root volume becomes the image.",
            "Example: i-0123456789abcdef0"})
    String instanceId;

    @Option(names = "--name", required = true, description = {"Name of the new image (unique per owner and region).", "Example: --name web-v2"})
    String name;

    @Option(names = "--description", description = {"Free text describing the image.", "Example: --description 'web server, patched'"})
    String description;

    @Option(names = "--no-reboot", description = {"Snapshot the running instance without stopping it (crash-consistent).", "Example: --no-reboot"})
    boolean noReboot;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        Ids.require(Ids.Resource.INSTANCE, instanceId);
        MachineImage image = cloud.createImage(account, region, instanceId, name, description, noReboot);
        String snapshot = image.rootMapping().map(m -> m.ebs().snapshotId()).orElse(null);
        print(Map.of("ImageId", image.imageId(), "RootSnapshotId", snapshot == null ? "" : snapshot),
                image.imageId() + " (root snapshot " + snapshot + ")");
        return 0;
    }
}
