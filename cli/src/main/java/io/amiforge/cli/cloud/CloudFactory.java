package io.amiforge.cli.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.sim.boot.BootReport;
import io.amiforge.sim.cloud.BundleUnpacker;
import io.amiforge.sim.cloud.Cloud;
import java.nio.file.Path;
import java.util.List;

/** Opens the cloud of a store directory with the boot paths and bundle format wired in. */
public final class CloudFactory {

    private CloudFactory() {
    }

    public static Cloud open(Path storeRoot) {
        // TEMP (cloud branch): replaced at integration by the HVM/PV boot paths and the bundle unpacker.
        return Cloud.open(storeRoot,
                (root, image, type) -> new BootReport(image.virtualizationType().wireName(), BootReport.Result.FAILED,
                        List.of(), "", null, 0, List.of(), "boot paths not wired yet", null),
                new BundleUnpacker() {
                    @Override
                    public BundleFacts inspect(Path manifest) {
                        throw new AmiforgeException(AmiforgeException.Kind.FAILED, "NotWired", "bundles not wired yet");
                    }

                    @Override
                    public void unpack(Path manifest, Path partsDir, io.amiforge.blockdev.BlockDevice target) {
                        throw new AmiforgeException(AmiforgeException.Kind.FAILED, "NotWired", "bundles not wired yet");
                    }
                });
    }
}
