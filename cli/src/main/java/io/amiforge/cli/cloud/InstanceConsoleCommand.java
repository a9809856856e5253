package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code instance console ID}: what the guest printed during its last boot. */
@Command(name = "console", description = {"Print the console output of the instance's last boot.", "Example: amiforge instance console i-0123456789abcdef0"})
final class InstanceConsoleCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "INSTANCE", description = {"The instance.", "Example: i-0123456789abcdef0"})
    String instanceId;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        Ids.require(Ids.Resource.INSTANCE, instanceId);
        String console = cloud.console(account, region, instanceId);
        print(Map.of("InstanceId", instanceId, "Output", console), console);
        return 0;
    }
}
