package io.amiforge.cli.cloud;

import picocli.CommandLine.Command;

/** {@code amiforge ami ...}: register, describe, share, copy and deregister machine images; bundles. */
@Command(name = "ami", description = "Machine images (AMIs): register, import, describe, share, copy, bundle.",
        mixinStandardHelpOptions = true,
        subcommands = {
                AmiRegisterCommand.class,
                AmiDescribeCommand.class,
                AmiLaunchPermissionCommand.class,
                AmiResetLaunchPermissionCommand.class,
                AmiCopyCommand.class,
                AmiDeregisterCommand.class,
                AmiCreateImageCommand.class,
                AmiImportImageCommand.class,
                io.amiforge.cli.ami.AmiBundleCommand.class,
                io.amiforge.cli.ami.AmiUnbundleCommand.class,
        })
public final class AmiCommand {
}
