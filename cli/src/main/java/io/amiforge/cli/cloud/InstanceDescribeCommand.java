package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.Instance;
import io.amiforge.cloud.shape.ReservationShape;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code instance describe [ID]}: the account's instances in the region. */
@Command(name = "describe", description = {"Describe the account's instances ({\"Reservations\":[{\"Instances\":[...]}]} with --json,"
        + " as EC2 DescribeInstances).",
        "Example: amiforge instance describe --json"})
final class InstanceDescribeCommand extends CloudCommandBase {

    @Parameters(index = "0", arity = "0..1", paramLabel = "INSTANCE", description = {"Only this instance (default: all of the account's instances).",
            "Example: i-0123456789abcdef0"})
    String instanceId;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        if (instanceId != null) {
            Ids.require(Ids.Resource.INSTANCE, instanceId);
        }
        List<Instance> instances = cloud.describeInstances(account, region, instanceId);
        StringBuilder text = new StringBuilder();
        for (Instance instance : instances) {
            text.append(InstanceView.text(instance)).append('\n');
        }
        print(Map.of("Reservations", ReservationShape.eachOf(instances, cloud.store(region, account))),
                text.length() == 0 ? "(no instances)" : text.toString());
        return 0;
    }
}
