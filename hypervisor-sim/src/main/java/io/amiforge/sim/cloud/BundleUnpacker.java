package io.amiforge.sim.cloud;

import io.amiforge.blockdev.BlockDevice;
import java.nio.file.Path;

/**
 * What the cloud needs of the bundle format to run instance-store images: read a bundle's
 * facts from its manifest, and unpack (verify, decrypt with the cloud's EC2 key, decompress,
 * untar) the image into instance storage.
 */
public interface BundleUnpacker {

    /** The facts the registry keeps, from a bundle manifest in {@code bundleDir}. */
    BundleFacts inspect(Path manifest);

    /** Writes the bundled image into {@code target} from byte 0, after every check has passed. */
    void unpack(Path manifest, Path partsDir, BlockDevice target);

    /** What a manifest says about the image inside. */
    record BundleFacts(String imageName, long imageSize, String architecture, String kernelId, String ramdiskId,
                       java.util.List<String> partFiles) {
    }
}
