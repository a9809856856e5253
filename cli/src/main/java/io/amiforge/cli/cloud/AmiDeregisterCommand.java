package io.amiforge.cli.cloud;

import io.amiforge.cli.common.Json;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code ami deregister AMI}: the image goes; its snapshots stay. */
@Command(name = "deregister", description = {"Deregister an image (its snapshots stay, as in EC2).", "Example: amiforge ami deregister ami-0123456789abcdef0"})
final class AmiDeregisterCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "AMI", description = {"The image to deregister.", "Example: ami-0123456789abcdef0"})
    String imageId;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        Ids.require(Ids.Resource.IMAGE, imageId);
        cloud.deregisterImage(account, region, imageId);
        print(Json.object("ImageId", imageId, "Return", true), imageId + " deregistered");
        return 0;
    }
}
