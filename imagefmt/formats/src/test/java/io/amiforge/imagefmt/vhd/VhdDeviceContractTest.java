package io.amiforge.imagefmt.vhd;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.testkit.BlockDeviceContractTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The BlockDevice contract on a dynamic VHD. */
class VhdDeviceContractTest extends BlockDeviceContractTest {

    @TempDir
    Path dir;

    private final Map<BlockDevice, Path> files = new HashMap<>();

    @Override
    protected BlockDevice newDevice(long size) throws Exception {
        Path file = Files.createTempFile(dir, "contract", ".vhd");
        BlockDevice device = ImageFormats.create(file, "vpc", size, CreateOptions.defaults());
        files.put(device, file);
        return device;
    }

    @Override
    protected BlockDevice reopen(BlockDevice device) {
        device.close();
        return ImageFormats.open(ImageSource.of(files.get(device)).withFormat("vpc"), false);
    }
}
