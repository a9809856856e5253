package io.amiforge.store;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.testkit.BlockDeviceContractTest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The block-device contract for store volumes, one per strategy combination (subclasses). */
class VolumeContractTest extends BlockDeviceContractTest {

    @TempDir
    Path dir;

    private SnapshotStore store;
    private int counter;

    protected VolumeOptions options() {
        return VolumeOptions.defaults();
    }

    @Override
    protected BlockDevice newDevice(long size) {
        if (store == null) {
            store = SnapshotStore.open(dir.resolve("store"));
        }
        return store.createVolume("v" + counter++, size, options());
    }

    @Override
    protected BlockDevice reopen(BlockDevice device) {
        String name = ((Volume) device).volumeName();
        device.close();
        store.close();
        store = SnapshotStore.open(dir.resolve("store"));
        return store.openVolume(name);
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }
}
