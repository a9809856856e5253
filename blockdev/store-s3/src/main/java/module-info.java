/**
 * The snapshot store on an S3-compatible object store: snapshot layers as packed immutable
 * objects, the catalogue as conditionally written objects, and a bounded local cache for reads.
 */
@SuppressWarnings({"module", "requires-automatic"}) // "s3" is the protocol's name; the AWS SDK ships only Automatic-Module-Name
module io.amiforge.store.s3 {
    requires transitive io.amiforge.store;
    requires software.amazon.awssdk.services.s3;
    requires software.amazon.awssdk.core;
    requires software.amazon.awssdk.awscore;
    requires software.amazon.awssdk.http;
    requires org.reactivestreams;
    requires software.amazon.awssdk.retries;
    requires software.amazon.awssdk.retries.api;
    requires software.amazon.awssdk.auth;
    requires software.amazon.awssdk.regions;
    requires software.amazon.awssdk.http.nio.netty;

    exports io.amiforge.store.objects;
    exports io.amiforge.store.s3;
    exports io.amiforge.store.remote;

    uses io.amiforge.store.objects.ObjectStoreProvider;
    provides io.amiforge.store.objects.ObjectStoreProvider with io.amiforge.store.s3.S3ObjectStoreProvider;
}
