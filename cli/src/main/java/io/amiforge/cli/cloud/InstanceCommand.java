package io.amiforge.cli.cloud;

import picocli.CommandLine.Command;

/** {@code amiforge instance ...}: launch instances and drive their lifecycle. */
@Command(name = "instance", description = "Instances: run, stop, start, reboot, terminate, describe, console, screenshot.",
        mixinStandardHelpOptions = true,
        subcommands = {
                InstanceRunCommand.class,
                InstanceLifecycleCommand.Stop.class,
                InstanceLifecycleCommand.Start.class,
                InstanceLifecycleCommand.Reboot.class,
                InstanceLifecycleCommand.Terminate.class,
                InstanceDescribeCommand.class,
                InstanceConsoleCommand.class,
                InstanceScreenshotCommand.class,
        })
public final class InstanceCommand {
}
