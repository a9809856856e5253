package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Instance;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code instance stop|start|reboot|terminate ID}: one lifecycle step, EC2's rules per root-device type. */
abstract class InstanceLifecycleCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "INSTANCE", description = {"The instance.", "Example: i-0123456789abcdef0"})
    String instanceId;

    @Override
    protected final int run(Cloud cloud, String account, String region) {
        Instance instance = apply(cloud, account, region);
        print(InstanceView.json(instance), InstanceView.text(instance));
        return 0;
    }

    abstract Instance apply(Cloud cloud, String account, String region);

    @Command(name = "stop", description = {"Stop an EBS-backed instance (its volumes stay).", "Example: amiforge instance stop i-0123456789abcdef0"})
    static final class Stop extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.stopInstance(account, region, instanceId);
        }
    }

    @Command(name = "start", description = {"Start a stopped instance (boots again from its root volume).",
            "Example: amiforge instance start i-0123456789abcdef0"})
    static final class Start extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.startInstance(account, region, instanceId);
        }
    }

    @Command(name = "reboot", description = {"Reboot a running instance (all data kept).", "Example: amiforge instance reboot i-0123456789abcdef0"})
    static final class Reboot extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.rebootInstance(account, region, instanceId);
        }
    }

    @Command(name = "terminate", description = {"Terminate an instance (instance store and DeleteOnTermination volumes go).",
            "Example: amiforge instance terminate i-0123456789abcdef0"})
    static final class Terminate extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.terminateInstance(account, region, instanceId);
        }
    }
}
