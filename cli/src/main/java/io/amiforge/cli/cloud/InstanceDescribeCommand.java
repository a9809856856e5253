package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Instance;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code instance describe [ID]}: the account's instances in the region. */
@Command(name = "describe", description = {"Describe the account's instances ({\"Instances\":[...]} with --json).",
        "Example: amiforge instance describe --json"})
final class InstanceDescribeCommand extends CloudCommandBase {

    @Parameters(index = "0", arity = "0..1", paramLabel = "INSTANCE", description = {"Only this instance (default: all of the account's instances).",
            "Example: i-0123456789abcdef0"})
    String instanceId;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        List<Instance> instances = cloud.describeInstances(account, region, instanceId);
        StringBuilder text = new StringBuilder();
        for (Instance instance : instances) {
            text.append(InstanceView.text(instance)).append('\n');
        }
        print(Map.of("Instances", instances), text.length() == 0 ? "(no instances)" : text.toString());
        return 0;
    }
}
