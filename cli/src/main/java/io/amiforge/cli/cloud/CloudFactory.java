package io.amiforge.cli.cloud;

import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.SimulatorBooter;
import java.nio.file.Path;

/** Opens the cloud of a store directory with the simulator's boot paths wired in. */
public final class CloudFactory {

    /** Instruction budget of an instance's HVM boot. */
    public static final long BOOT_BUDGET = 200_000_000L;

    private CloudFactory() {
    }

    public static Cloud open(Path storeRoot) {
        return Cloud.open(storeRoot, new SimulatorBooter(BOOT_BUDGET));
    }
}
