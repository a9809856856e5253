package io.amiforge.store.spi;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The plug-in path: directories of jars (and single jars) loaded in their own class loaders and
 * searched with {@link java.util.ServiceLoader} for strategies ({@link Strategies#register}).
 * Other registries take the same loaders: the command line hands them to
 * {@code ImageFormats.register} for image formats. Loading an entry again returns the class
 * loader it got the first time, so repeated loads register nothing twice. Thread-safe.
 *
 * <pre>{@code
 * List<ClassLoader> loaders = Plugins.load(Plugins.parse(System.getenv(Plugins.ENV)));
 * }</pre>
 */
public final class Plugins {

    /** The environment variable the command line reads the plug-in path from (entries separated by ':'). */
    public static final String ENV = "AMIFORGE_PLUGIN_PATH";

    /** What {@link #origin} says for a class that did not come from a plug-in jar. */
    public static final String BUILT_IN = "built-in";

    /** Class loaders by plug-in path entry (absolute, normalized): one per directory or jar. */
    private static final Map<Path, PluginLoader> LOADERS = new HashMap<>();

    private Plugins() {
    }

    /** The entries of a plug-in path ({@code DIR:DIR:FILE.jar}); null or blank gives none. */
    public static List<Path> parse(String path) {
        List<Path> entries = new ArrayList<>();
        if (path != null) {
            for (String part : path.split(":")) {
                if (!part.isBlank()) {
                    entries.add(Path.of(part.strip()));
                }
            }
        }
        return entries;
    }

    /**
     * Loads every entry (a directory contributes each {@code *.jar} directly in it; a file must
     * be a jar) and registers the strategies the jars provide.
     *
     * @return one class loader per entry, in order, for other registries to search
     */
    public static synchronized List<ClassLoader> load(List<Path> entries) {
        List<ClassLoader> loaders = new ArrayList<>();
        for (Path entry : entries) {
            Path key = entry.toAbsolutePath().normalize();
            PluginLoader loader = LOADERS.get(key);
            if (loader == null) {
                loader = new PluginLoader(key, jars(key));
                try {
                    Strategies.register(loader);
                } catch (RuntimeException | Error e) {
                    try {
                        loader.close();
                    } catch (IOException closing) {
                        e.addSuppressed(closing);
                    }
                    throw e;
                }
                LOADERS.put(key, loader);
            }
            loaders.add(loader);
        }
        return loaders;
    }

    /** The jars of one plug-in path entry, sorted by name, each checked to be a readable jar. */
    private static List<Path> jars(Path entry) {
        List<Path> jars = candidates(entry);
        for (Path jar : jars) {
            try (JarFile _ = new JarFile(jar.toFile())) {
                // opened: a readable zip with a central directory
            } catch (IOException e) {
                throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidPlugin",
                        "plug-in jar " + jar + " cannot be read as a jar (" + e.getMessage() + ")", e);
            }
        }
        return jars;
    }

    private static List<Path> candidates(Path entry) {
        if (Files.isDirectory(entry)) {
            try (Stream<Path> files = Files.list(entry)) {
                return files.filter(f -> f.getFileName().toString().endsWith(".jar") && Files.isRegularFile(f)).sorted().toList();
            } catch (IOException e) {
                throw new UncheckedIOException("plug-in path entry " + entry + ": cannot list it", e);
            }
        }
        if (!Files.exists(entry)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "plug-in path entry " + entry + ": no such file or directory");
        }
        if (!entry.getFileName().toString().endsWith(".jar")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "plug-in path entry " + entry + " is neither a directory nor a .jar file");
        }
        return List.of(entry);
    }

    /**
     * Where {@code type} was loaded from: the jar's path for a class of a plug-in jar,
     * {@link #BUILT_IN} for anything on the application's class or module path.
     */
    public static String origin(Class<?> type) {
        if (type.getClassLoader() instanceof PluginLoader loader) {
            var source = type.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) {
                try {
                    return Path.of(source.getLocation().toURI()).toString();
                } catch (java.net.URISyntaxException | IllegalArgumentException e) {
                    return source.getLocation().toString();
                }
            }
            return loader.entry.toString();
        }
        return BUILT_IN;
    }

    /** "plug-in path entry DIR" for a plug-in loader, else "the class path". */
    static String describe(ClassLoader loader) {
        return loader instanceof PluginLoader p ? "plug-in path entry " + p.entry : "the class path";
    }

    /** The class loader of one plug-in path entry; its parent is the loader of the store's own classes. */
    private static final class PluginLoader extends URLClassLoader {

        static {
            registerAsParallelCapable();
        }

        final Path entry;

        PluginLoader(Path entry, List<Path> jars) {
            super("amiforge-plugins:" + entry, urls(jars), Plugins.class.getClassLoader());
            this.entry = entry;
        }

        private static URL[] urls(List<Path> jars) {
            URL[] urls = new URL[jars.size()];
            for (int i = 0; i < urls.length; i++) {
                try {
                    urls[i] = jars.get(i).toUri().toURL();
                } catch (MalformedURLException e) {
                    throw new IllegalArgumentException("plug-in jar " + jars.get(i) + ": " + e.getMessage(), e);
                }
            }
            return urls;
        }
    }
}
