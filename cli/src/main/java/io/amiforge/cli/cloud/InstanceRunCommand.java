package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.Instance;
import io.amiforge.cloud.shape.ReservationShape;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code instance run AMI --type T [--az Z]}: launch and boot one instance. */
@Command(name = "run", description = {"Launch an instance of an AMI and boot it; prints the reservation as EC2 RunInstances does.",
        "Example: amiforge instance run ami-0123456789abcdef0 --type t3.micro --az us-east-1b"})
final class InstanceRunCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "AMI", description = {"The image to launch.", "Example: ami-0123456789abcdef0"})
    String imageId;

    @Option(names = "--type", required = true, paramLabel = "T", description = {"Instance type, e.g. t3.micro, m1.small.", "Example: --type t3.micro"})
    String type;

    @Option(names = "--az", paramLabel = "Z", description = {"Availability zone of the region (default: its first).", "Example: --az us-east-1b"})
    String zone;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        Ids.require(Ids.Resource.IMAGE, imageId);
        Instance instance = cloud.runInstance(account, region, imageId, type, zone);
        print(ReservationShape.of(List.of(instance), cloud.store(region, account)), InstanceView.text(instance));
        return 0;
    }
}
