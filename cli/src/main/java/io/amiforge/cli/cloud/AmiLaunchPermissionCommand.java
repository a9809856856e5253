package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.MachineImage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ami launch-permission AMI --add ID|all --remove ID|all}: share an image or stop sharing it. */
@Command(name = "launch-permission", description = {"Add or remove launch permissions (account ids or 'all').",
        "Example: amiforge ami launch-permission ami-0123456789abcdef0 --add 444455556666"})
final class AmiLaunchPermissionCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "AMI", description = {"The image whose launch permissions change.", "Example: ami-0123456789abcdef0"})
    String imageId;

    @Option(names = "--add", paramLabel = "ID|all", description = {"Grant launch permission to an account (12 digits) or to everyone (all).",
            "Example: --add all"})
    List<String> add = List.of();

    @Option(names = "--remove", paramLabel = "ID|all", description = {"Revoke launch permission from an account or from everyone (all).",
            "Example: --remove 444455556666"})
    List<String> remove = List.of();

    @Override
    protected int run(Cloud cloud, String account, String region) {
        if (add.isEmpty() && remove.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give --add or --remove");
        }
        Ids.require(Ids.Resource.IMAGE, imageId);
        MachineImage image = cloud.modifyLaunchPermission(account, region, imageId, add, remove);
        printPermissions(image);
        return 0;
    }

    void printPermissions(MachineImage image) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ImageId", image.imageId());
        json.put("LaunchPermissions", image.launchPermissions());
        String text = image.imageId() + ": " + (image.isPublic() ? "public" : "private")
                + (image.launchPermissions().userIds().isEmpty() ? "" : ", shared with " + String.join(", ", image.launchPermissions().userIds()));
        print(json, text);
    }
}
