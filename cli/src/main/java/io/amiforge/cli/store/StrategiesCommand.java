package io.amiforge.cli.store;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.store.spi.Plugins;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code amiforge store strategies}: every registered write strategy, read index and image
 * format, with its kind, one-line description and origin ("built-in" or the plug-in jar).
 */
@Command(name = "strategies", description = {"List the write strategies, read indexes and image formats, built-in"
        + " and from the plug-in path (--plugin-path), with where each comes from.", "Example: amiforge store strategies --plugin-path plugins/"})
public final class StrategiesCommand extends CommandBase {

    @Override
    protected int execute() {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (StrategyProvider p : Strategies.all()) {
            rows.add(StoreAccess.json(p));
        }
        for (ImageFormat f : ImageFormats.all()) {
            rows.add(StoreAccess.provider(f.name(), "image-format", f.acceptsAnything()
                    ? "disk image format that accepts any content (probed last)" : "disk image format recognised by its signature",
                    Plugins.origin(f.getClass())));
        }
        StringBuilder text = new StringBuilder("KIND\tNAME\tORIGIN\tDESCRIPTION\n");
        for (Map<String, Object> row : rows) {
            text.append(row.get("Kind")).append('\t').append(row.get("Name")).append('\t').append(row.get("Origin"))
                    .append('\t').append(row.get("Description")).append('\n');
        }
        print(Map.of("Providers", rows), text.toString());
        return 0;
    }
}
