package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.Instance;
import io.amiforge.cloud.shape.StateChangeShape;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code instance stop|start|reboot|terminate ID}: one lifecycle step, EC2's rules per root-device
 * type. With --json each prints EC2's answer: {@code {"StoppingInstances":[{"CurrentState",
 * "InstanceId","PreviousState"}]}} and its siblings ({@link #listName()}).
 */
abstract class InstanceLifecycleCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "INSTANCE", description = {"The instance.", "Example: i-0123456789abcdef0"})
    String instanceId;

    @Override
    protected final int run(Cloud cloud, String account, String region) {
        Ids.require(Ids.Resource.INSTANCE, instanceId);
        Instance before = cloud.describeInstances(account, region, instanceId).getFirst();
        Instance after = apply(cloud, account, region);
        print(Map.of(listName(), List.of(StateChangeShape.of(before, after))), InstanceView.text(after));
        return 0;
    }

    abstract Instance apply(Cloud cloud, String account, String region);

    /** The name of the list EC2's response holds the change in ({@code StoppingInstances}, ...). */
    abstract String listName();

    @Command(name = "stop", description = {"Stop an EBS-backed instance (its volumes stay).", "Example: amiforge instance stop i-0123456789abcdef0"})
    static final class Stop extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.stopInstance(account, region, instanceId);
        }

        @Override
        String listName() {
            return "StoppingInstances";
        }
    }

    @Command(name = "start", description = {"Start a stopped instance (boots again from its root volume).",
            "Example: amiforge instance start i-0123456789abcdef0"})
    static final class Start extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.startInstance(account, region, instanceId);
        }

        @Override
        String listName() {
            return "StartingInstances";
        }
    }

    /** EC2's RebootInstances answers no body; amiforge answers in the shape of its siblings. */
    @Command(name = "reboot", description = {"Reboot a running instance (all data kept).", "Example: amiforge instance reboot i-0123456789abcdef0"})
    static final class Reboot extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.rebootInstance(account, region, instanceId);
        }

        @Override
        String listName() {
            return "RebootingInstances";
        }
    }

    @Command(name = "terminate", description = {"Terminate an instance (instance store and DeleteOnTermination volumes go).",
            "Example: amiforge instance terminate i-0123456789abcdef0"})
    static final class Terminate extends InstanceLifecycleCommand {
        @Override
        Instance apply(Cloud cloud, String account, String region) {
            return cloud.terminateInstance(account, region, instanceId);
        }

        @Override
        String listName() {
            return "TerminatingInstances";
        }
    }
}
