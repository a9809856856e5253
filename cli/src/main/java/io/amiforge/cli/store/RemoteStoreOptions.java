package io.amiforge.cli.store;

import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.cli.common.Shutdown;
import io.amiforge.cli.common.Size;
import io.amiforge.store.AccountId;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStores;
import io.amiforge.store.remote.RemoteOptions;
import io.amiforge.store.remote.RemoteSnapshotStore;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options of commands that use a store on an object store ({@code s3://BUCKET/PREFIX}, or
 * {@code file:///DIR}): the S3 endpoint and the local read cache. Endpoint, region and keys
 * otherwise come from the usual AWS environment variables.
 */
public final class RemoteStoreOptions {

    @Option(names = "--s3-endpoint", paramLabel = "URL", description = {"S3 endpoint (default: $AWS_ENDPOINT_URL, else AWS).",
            "Example: --s3-endpoint http://127.0.0.1:7480"})
    String endpoint;

    @Option(names = "--cache-size", paramLabel = "SIZE", defaultValue = "1G", description = {
            "Most local disk the read cache of remote snapshots takes (default 1G).", "Example: --cache-size 256M"})
    Size cacheSize;

    @Option(names = "--cache-dir", paramLabel = "DIR", description = {
            "This host's directory for the read cache and upload scratch (default: STORE/remote/<bucket-and-prefix>).",
            "Example: --cache-dir /var/cache/amiforge"})
    Path cacheDir;

    /** Opens the object store at {@code url} with the endpoint option over the AWS environment. */
    ObjectStore objects(String url) {
        Map<String, String> settings = new HashMap<>(System.getenv());
        if (endpoint != null) {
            settings.put("AWS_ENDPOINT_URL", endpoint);
            settings.put("AWS_ENDPOINT_URL_S3", endpoint);
        }
        return ObjectStores.open(url, settings);
    }

    /** Opens the store on {@code url} with this host's cache directory; closed on exit too. */
    StoreAccess.Remote open(GlobalOptions global, String url) {
        ObjectStore objects = objects(url);
        Path local = cacheDir != null ? cacheDir
                : global.store().resolve("remote").resolve(url.replaceAll("[^A-Za-z0-9._-]+", "_"));
        try {
            RemoteSnapshotStore store = RemoteSnapshotStore.open(objects, local,
                    RemoteOptions.defaults().withCacheBytes(cacheSize.bytes()));
            return Shutdown.closeOnExit(new StoreAccess.Remote(objects, store, store.as(AccountId.of(global.account()))));
        } catch (RuntimeException e) {
            objects.close();
            throw e;
        }
    }
}
