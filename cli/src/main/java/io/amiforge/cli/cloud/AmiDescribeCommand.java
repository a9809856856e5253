package io.amiforge.cli.cloud;

import io.amiforge.cli.common.Json;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.MachineImage;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ami describe}: the images the caller can see, shaped like EC2 DescribeImages. */
@Command(name = "describe", description = {"Describe images visible to the account ({\"Images\":[...]} with --json).",
        "Example: amiforge ami describe --owner self --json"})
final class AmiDescribeCommand extends CloudCommandBase {

    @Option(names = "--owner", paramLabel = "self|amazon|ID", description = {"Only images of these owners.", "Example: --owner self"})
    List<String> owners;

    @Option(names = "--executable-by", paramLabel = "self|all|ID", description = {"Only images these may launch.", "Example: --executable-by all"})
    List<String> executableBy;

    @Option(names = "--image-id", paramLabel = "ami-..", description = {"Only these images (a missing one is an error).",
            "Example: --image-id ami-0123456789abcdef0"})
    List<String> imageIds;

    @Override
    protected int run(Cloud cloud, String account, String region) {
        if (imageIds != null) {
            imageIds.forEach(id -> Ids.require(Ids.Resource.IMAGE, id));
        }
        List<MachineImage> images = cloud.describeImages(account, region, new Cloud.ImageFilter(owners, executableBy, imageIds));
        StringBuilder text = new StringBuilder();
        for (MachineImage image : images) {
            text.append("%-21s  %-28s  %-12s  %-11s  %-14s  %-7s  %s%n".formatted(image.imageId(), image.name(),
                    image.ownerId(), image.virtualizationType().wireName(), image.rootDeviceType().wireName(),
                    image.architecture().wireName(), image.isPublic() ? "public" : "private"));
        }
        // the image's own JSON, with the location EC2 shows when it has none of its own (OWNER/NAME)
        List<Map<String, Object>> shown = images.stream().map(image -> {
            Map<String, Object> fields = Json.fieldsOf(image);
            fields.put("ImageLocation", image.location());
            return fields;
        }).toList();
        print(Map.of("Images", shown), text.length() == 0 ? "(no images)" : text.toString());
        return 0;
    }
}
