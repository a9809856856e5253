package io.amiforge.pipeline;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.blockdev.MemoryBlockDevice;
import io.amiforge.testkit.BlockDeviceContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The whole {@link BlockDevice} contract, through the pipeline, over memory and file devices. */
class PipelinedBlockDeviceTest {

    @Nested
    class OverMemory extends BlockDeviceContractTest {
        @Override
        protected BlockDevice newDevice(long size) {
            return PipelinedBlockDevice.open(new MemoryBlockDevice("mem", size));
        }

        @Override
        protected BlockDevice reopen(BlockDevice device) {
            return null; // over memory: nothing outlives the device
        }
    }

    @Nested
    class OverFile extends BlockDeviceContractTest {
        @TempDir
        Path dir;
        private int counter;

        @Override
        protected BlockDevice newDevice(long size) {
            return PipelinedBlockDevice.open(FileBlockDevice.create(dir.resolve("d" + counter++ + ".raw"), size));
        }

        @Override
        protected BlockDevice reopen(BlockDevice device) {
            Path path = ((FileBlockDevice) ((PipelinedBlockDevice) device).pipeline().device()).path();
            device.close();
            return PipelinedBlockDevice.open(FileBlockDevice.open(path, false));
        }
    }
}
