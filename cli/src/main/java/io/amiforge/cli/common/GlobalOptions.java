package io.amiforge.cli.common;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.store.objects.ObjectStores;
import io.amiforge.store.spi.Plugins;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The contract's global options, accepted before or after any command: {@code --store} (a
 * directory, or an object store's URL for snapshots with {@code --host-dir} for this host's own
 * state), {@code --account}, {@code --region}, {@code --json}, {@code --plugin-path}. Each falls back to
 * its environment variable and then to its default. The plug-in path is loaded as soon as it is
 * parsed, so that help texts, name checks and the command itself see the plug-ins.
 */
public final class GlobalOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--store", scope = ScopeType.INHERIT, paramLabel = "DIR|URL",
            description = {"Store directory, or an object store for snapshots (s3://BUCKET/PREFIX with the usual AWS_* variables,"
                    + " or file:///DIR), whose volumes and read cache stay in --host-dir (default: $AMIFORGE_STORE, else ~/.amiforge).",
                "Example: --store s3://amis/team"})
    String store;

    @Option(names = "--host-dir", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = {"With an object-store --store: this host's directory for its volumes, cloud state and read cache"
                    + " (default: $AMIFORGE_HOST_DIR, else ~/.amiforge/hosts/<URL>).", "Example: --host-dir /var/lib/amiforge"})
    Path hostDir;

    @Option(names = "--account", scope = ScopeType.INHERIT, paramLabel = "ID",
            description = {"Acting account, 12 digits (default: $AMIFORGE_ACCOUNT, else 111122223333).", "Example: --account 444455556666"})
    String account;

    @Option(names = "--region", scope = ScopeType.INHERIT, paramLabel = "R",
            description = {"Region (default: $AMIFORGE_REGION, else us-east-1).", "Example: --region us-west-2"})
    String region;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = {"Print one JSON document on stdout: a command with an AWS"
            + " twin prints that AWS response with the AWS CLI's field names (docs/json.md).", "Example: amiforge --json ami describe"})
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

    /**
     * The local store directory: --store or $AMIFORGE_STORE when it names a directory; this host's
     * directory (--host-dir) when it names an object store; else ~/.amiforge.
     */
    public Path store() {
        String given = storeText();
        if (given == null) {
            return home();
        }
        return ObjectStores.isUrl(given) ? hostDir(given) : Path.of(given);
    }

    /** The object store's URL when --store (or $AMIFORGE_STORE) names one: snapshots live there. */
    public java.util.Optional<String> remoteStore() {
        String given = storeText();
        return given != null && ObjectStores.isUrl(given) ? java.util.Optional.of(given) : java.util.Optional.empty();
    }

    /** The store given by --store or $AMIFORGE_STORE, if either was; empty when the default would be used. */
    public java.util.Optional<Path> explicitStore() {
        return storeText() == null ? java.util.Optional.empty() : java.util.Optional.of(store());
    }

    private String storeText() {
        if (store != null) {
            return store;
        }
        String env = System.getenv("AMIFORGE_STORE");
        return env == null || env.isBlank() ? null : env;
    }

    private Path hostDir(String url) {
        if (hostDir != null) {
            return hostDir;
        }
        String env = System.getenv("AMIFORGE_HOST_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return home().resolve("hosts").resolve(url.replaceAll("[^A-Za-z0-9._-]+", "_"));
    }

    private static Path home() {
        return Path.of(System.getProperty("user.home"), ".amiforge");
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
