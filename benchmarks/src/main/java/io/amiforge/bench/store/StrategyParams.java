package io.amiforge.bench.store;

import io.amiforge.store.VolumeOptions;
import io.amiforge.store.spi.Plugins;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * Strategy names of the store benchmarks, resolved through the registry, so a plug-in runs in
 * them without edits: put its jar on the plug-in path (system property
 * {@code amiforge.plugin.path}, else {@code $AMIFORGE_PLUGIN_PATH}, which JMH's forks inherit)
 * and name it in a parameter, e.g.
 * {@code AMIFORGE_PLUGIN_PATH=plugins java -jar benchmarks.jar ChainRead -p strategy=counting_cow-flat}.
 */
final class StrategyParams {

    /** The system property naming the plug-in path (entries separated by ':'). */
    static final String PLUGIN_PATH = "amiforge.plugin.path";

    private StrategyParams() {
    }

    /** Loads the plug-in path of the system property or the environment (once per entry). */
    static void loadPlugins() {
        String path = System.getProperty(PLUGIN_PATH, System.getenv(Plugins.ENV));
        Plugins.load(Plugins.parse(path));
    }

    /** Default options with the strategies of a {@code WRITE-READ} parameter ("row-flat"); plug-ins loaded first. */
    static VolumeOptions options(String pair) {
        loadPlugins();
        int dash = pair.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("strategy parameter '" + pair + "' is not WRITE-READ; write strategies: "
                    + Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY) + ", read indexes: "
                    + Strategies.names(StrategyProvider.Kind.READ_INDEX));
        }
        return VolumeOptions.defaults().writeStrategy(pair.substring(0, dash)).readIndex(pair.substring(dash + 1));
    }

    /** Every registered WRITE-READ combination (built-ins and the plug-in path's), write strategies first. */
    static List<String> allPairs() {
        loadPlugins();
        List<String> pairs = new ArrayList<>();
        for (String write : Strategies.names(StrategyProvider.Kind.WRITE_STRATEGY)) {
            for (String read : Strategies.names(StrategyProvider.Kind.READ_INDEX)) {
                pairs.add(write + "-" + read);
            }
        }
        return pairs;
    }
}
