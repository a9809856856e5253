package io.amiforge.blockdev;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.BlockDeviceContractTest;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class MemoryBlockDeviceTest extends BlockDeviceContractTest {

    @Override
    protected BlockDevice newDevice(long size) {
        return new MemoryBlockDevice("mem", size);
    }

    @Override
    protected BlockDevice reopen(BlockDevice device) {
        return null; // its data lives and dies with the object
    }

    @Test
    void aTerabyteDeviceCostsOnlyWhatIsWritten() {
        try (MemoryBlockDevice device = new MemoryBlockDevice("big", 1L << 40)) {
            device.write((1L << 40) - 4096, MemorySegment.ofArray(new byte[]{1, 2, 3}));
            assertThat(read(device, (1L << 40) - 4096, 3)).containsExactly(1, 2, 3);
        }
    }
}
