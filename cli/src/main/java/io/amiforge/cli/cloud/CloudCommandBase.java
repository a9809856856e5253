package io.amiforge.cli.cloud;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.cloud.Cloud;

/** A command that acts on the simulated cloud in the store: opens it, runs, closes it. */
abstract class CloudCommandBase extends CommandBase {

    @Override
    protected final int execute() throws Exception {
        try (Cloud cloud = CloudFactory.open(global().store())) {
            return run(cloud, global().account(), global().region());
        }
    }

    /** Runs the command as {@code account} in {@code region}; returns the exit code. */
    protected abstract int run(Cloud cloud, String account, String region) throws Exception;
}
