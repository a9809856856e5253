package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.MachineImage;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ami reset-launch-permission AMI}: make the image private to its owner again. */
@Command(name = "reset-launch-permission", description = {"Make an image private to its owner again.",
        "Example: amiforge ami reset-launch-permission ami-0123456789abcdef0"})
final class AmiResetLaunchPermissionCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "AMI", description = {"The image to make private.", "Example: ami-0123456789abcdef0"})
    String imageId;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        Ids.require(Ids.Resource.IMAGE, imageId);
        MachineImage image = cloud.resetLaunchPermission(account, region, imageId);
        print(Map.of("ImageId", image.imageId(), "LaunchPermissions", image.launchPermissions()), image.imageId() + ": private");
        return 0;
    }
}
