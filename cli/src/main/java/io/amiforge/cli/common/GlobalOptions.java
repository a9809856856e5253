package io.amiforge.cli.common;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.store.spi.Plugins;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The contract's global options, accepted before or after any command: {@code --store},
 * {@code --account}, {@code --region}, {@code --json}, {@code --plugin-path}. Each falls back to
 * its environment variable and then to its default. The plug-in path is loaded as soon as it is
 * parsed, so that help texts, name checks and the command itself see the plug-ins.
 */
public final class GlobalOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--store", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = {"Store directory (default: $AMIFORGE_STORE, else ~/.amiforge).", "Example: --store /srv/amiforge"})
    Path store;

    @Option(names = "--account", scope = ScopeType.INHERIT, paramLabel = "ID",
            description = {"Acting account, 12 digits (default: $AMIFORGE_ACCOUNT, else 111122223333).", "Example: --account 444455556666"})
    String account;

    @Option(names = "--region", scope = ScopeType.INHERIT, paramLabel = "R",
            description = {"Region (default: $AMIFORGE_REGION, else us-east-1).", "Example: --region us-west-2"})
    String region;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = {"Print JSON on stdout.", "Example: amiforge --json ami describe"})
    boolean json;

    private String pluginPath;

    @Option(names = "--plugin-path", scope = ScopeType.INHERIT, paramLabel = "DIR[:DIR...]",
            defaultValue = "${env:" + Plugins.ENV + "}",
            description = {"Plug-in jars (directories of jars, or jars, ':'-separated): their snapshot-store strategies"
                    + " and image formats are registered (default: $" + Plugins.ENV + "). See 'amiforge store strategies'.", "Example: --plugin-path plugins/"})
    void pluginPath(String path) {
        if (path == null || path.equals(pluginPath)) {
            return;
        }
        try {
            for (ClassLoader loader : Plugins.load(Plugins.parse(path))) {
                ImageFormats.register(loader);
            }
        } catch (AmiforgeException | java.io.UncheckedIOException e) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "--plugin-path (or $" + Plugins.ENV + "): " + e.getMessage(), e);
        }
        pluginPath = path;
    }

    public Path store() {
        if (store != null) {
            return store;
        }
        String env = System.getenv("AMIFORGE_STORE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".amiforge");
    }

    /** The store given by --store or $AMIFORGE_STORE, if either was; empty when the default would be used. */
    public java.util.Optional<Path> explicitStore() {
        if (store != null) {
            return java.util.Optional.of(store);
        }
        String env = System.getenv("AMIFORGE_STORE");
        return env == null || env.isBlank() ? java.util.Optional.empty() : java.util.Optional.of(Path.of(env));
    }

    public String account() {
        String value = account != null ? account : System.getenv().getOrDefault("AMIFORGE_ACCOUNT", "111122223333");
        if (!value.matches("\\d{12}")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "account '" + value + "' is not 12 digits");
        }
        return value;
    }

    public String region() {
        String value = region != null ? region : System.getenv().getOrDefault("AMIFORGE_REGION", "us-east-1");
        return io.amiforge.cloud.Region.named(value).name();
    }

    public boolean json() {
        return json;
    }
}
