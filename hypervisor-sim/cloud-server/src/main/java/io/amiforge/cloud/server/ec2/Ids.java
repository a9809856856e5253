package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.server.http.ApiException;
import java.util.regex.Pattern;

/** EC2 id syntax: {@code PREFIX-} and 8 or 17 hex digits; anything else is {@code Invalid...ID.Malformed}. */
final class Ids {

    private static final Pattern HEX = Pattern.compile("[0-9a-f]{8}|[0-9a-f]{17}");

    private Ids() {
    }

    static String image(String id) {
        return check(id, "ami-", "InvalidAMIID.Malformed", "image");
    }

    static String snapshot(String id) {
        return check(id, "snap-", "InvalidSnapshotID.Malformed", "snapshot");
    }

    static String volume(String id) {
        return check(id, "vol-", "InvalidVolumeID.Malformed", "volume");
    }

    static String instance(String id) {
        return check(id, "i-", "InvalidInstanceID.Malformed", "instance");
    }

    private static String check(String id, String prefix, String code, String what) {
        if (id == null || !id.startsWith(prefix) || !HEX.matcher(id.substring(prefix.length())).matches()) {
            throw new ApiException(400, code, "Invalid id: \"" + id + "\" (expecting \"" + prefix
                    + "\" and 8 or 17 hexadecimal digits for a " + what + " id)");
        }
        return id;
    }
}
