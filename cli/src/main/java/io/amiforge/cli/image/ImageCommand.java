package io.amiforge.cli.image;

import picocli.CommandLine.Command;

/** The {@code image} command group: disk image files (info, convert; build comes from the image builder). */
@Command(name = "image", mixinStandardHelpOptions = true, description = "Inspect, convert and build disk images.",
        subcommands = {
                ImageInfoCommand.class,
                ImageConvertCommand.class,
                // ImageBuild.class is added here by the image-builder work (issue 3, image builder part).
        })
public final class ImageCommand {
}
