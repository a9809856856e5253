package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.Ids.Resource;

/** EC2 id syntax, checked by the cloud's {@link io.amiforge.cloud.Ids#require} ({@code Invalid...ID.Malformed}, 400). */
final class Ids {

    private Ids() {
    }

    static String image(String id) {
        return io.amiforge.cloud.Ids.require(Resource.IMAGE, id);
    }

    static String snapshot(String id) {
        return io.amiforge.cloud.Ids.require(Resource.SNAPSHOT, id);
    }

    static String volume(String id) {
        return io.amiforge.cloud.Ids.require(Resource.VOLUME, id);
    }

    static String instance(String id) {
        return io.amiforge.cloud.Ids.require(Resource.INSTANCE, id);
    }
}
