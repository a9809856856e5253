package io.amiforge.cli.image;

import picocli.CommandLine.Command;

/** The {@code image} command group: disk image files (info, convert, build, create, compare, map, measure, commit, check, ...). */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Inspect, convert and build disk images.",
        subcommands = {
                ImageInfoCommand.class,
                ImageConvertCommand.class,
                ImageBuildCommand.class,
                ImageCreateCommand.class,
                ImageCompareCommand.class,
                ImageMapCommand.class,
                ImageMeasureCommand.class,
                ImageCommitCommand.class,
                ImageCheckCommand.class,
                ImageResizeCommand.class,
                ImageRebaseCommand.class,
                ImageSnapshotCommand.class,
        })
public final class ImageCommand {
}
