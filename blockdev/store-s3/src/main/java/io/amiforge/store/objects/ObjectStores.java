package io.amiforge.store.objects;

import io.amiforge.blockdev.AmiforgeException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Opens an object store from its URL: {@code file:///path} is a {@link DirectoryObjectStore};
 * any other scheme ({@code s3://bucket/prefix}) is served by the {@link ObjectStoreProvider}
 * registered for it with {@link ServiceLoader}.
 */
public final class ObjectStores {

    private ObjectStores() {
    }

    /** Whether {@code text} looks like an object-store URL rather than a path. */
    public static boolean isUrl(String text) {
        return text.matches("[a-zA-Z][a-zA-Z0-9+.-]*://.*");
    }

    /**
     * Opens {@code url}; {@code settings} are what the provider reads (for S3: endpoint, region
     * and keys, as the usual AWS environment variables name them).
     */
    public static ObjectStore open(String url, Map<String, String> settings) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw usage("'" + url + "' is not a URL (" + e.getMessage() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (scheme.equals("file")) {
            if (uri.getPath() == null || uri.getPath().isEmpty()) {
                throw usage("'" + url + "' names no directory (write file:///absolute/path)");
            }
            return new DirectoryObjectStore(Path.of(uri.getPath()));
        }
        for (ObjectStoreProvider p : ServiceLoader.load(ObjectStoreProvider.class, ObjectStores.class.getClassLoader())) {
            if (p.scheme().equals(scheme)) {
                return p.open(url, settings);
            }
        }
        throw usage("no object store for '" + scheme + "://' URLs (" + url + ") is installed; file:/// is built in");
    }

    private static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", message);
    }
}
