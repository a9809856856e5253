package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ami copy AMI --to-region R}: copies an image and its snapshots, incrementally. */
@Command(name = "copy", description = {"Copy an image (and its snapshots, incrementally) to another region.",
        "Example: amiforge ami copy ami-0123456789abcdef0 --to-region us-west-2"})
final class AmiCopyCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "AMI", description = {"The image to copy.", "Example: ami-0123456789abcdef0"})
    String imageId;

    @Option(names = "--to-region", required = true, paramLabel = "R", description = {"Region to copy the image into.", "Example: --to-region eu-west-1"})
    String toRegion;

    @Option(names = "--name", description = {"Name of the copy (default: the source's name).", "Example: --name web-copy"})
    String name;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        Ids.require(Ids.Resource.IMAGE, imageId);
        Cloud.CopyResult result = cloud.copyImage(account, region, imageId, toRegion, name);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("ImageId", result.image().imageId());
        json.put("Region", toRegion);
        json.put("SourceImageId", imageId);
        json.put("SourceRegion", region);
        json.put("blocksCopied", result.blocksCopied());
        json.put("blocksAlreadyPresent", result.blocksAlreadyPresent());
        json.put("bytesCopied", result.blocksCopied() * result.blockSize());
        print(json, "%s in %s (copied %d blocks, %d already present in %s)".formatted(result.image().imageId(), toRegion,
                result.blocksCopied(), result.blocksAlreadyPresent(), toRegion));
        return 0;
    }
}
