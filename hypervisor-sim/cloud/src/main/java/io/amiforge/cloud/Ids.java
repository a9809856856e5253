package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * EC2-style resource ids: a prefix and 17 lowercase hex digits ({@code ami-0123456789abcdef0});
 * 8 digits (the old form) are accepted too. {@link #require} refuses anything else with EC2's
 * {@code Invalid...ID.Malformed} code, for the endpoint and the command line alike.
 */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern DIGITS = Pattern.compile("[0-9a-f]{8}|[0-9a-f]{17}");

    /** The kinds of id, each with its prefix and the stem of EC2's error codes for it. */
    public enum Resource {
        /** A machine image, {@code ami-}. */
        IMAGE("ami-", "InvalidAMIID", "an image"),
        /** A snapshot, {@code snap-}. */
        SNAPSHOT("snap-", "InvalidSnapshotID", "a snapshot"),
        /** A volume, {@code vol-}. */
        VOLUME("vol-", "InvalidVolumeID", "a volume"),
        /** An instance, {@code i-}. */
        INSTANCE("i-", "InvalidInstanceID", "an instance");

        private final String prefix;
        private final String codeStem;
        private final String what;

        Resource(String prefix, String codeStem, String what) {
            this.prefix = prefix;
            this.codeStem = codeStem;
            this.what = what;
        }

        /** The id prefix, with its dash ({@code ami-}). */
        public String prefix() {
            return prefix;
        }

        /** EC2's code for a malformed id of this kind ({@code InvalidAMIID.Malformed}). */
        public String malformedCode() {
            return codeStem + ".Malformed";
        }
    }

    private Ids() {
    }

    public static String next(String prefix) {
        byte[] bytes = new byte[9];
        RANDOM.nextBytes(bytes);
        return prefix + "-" + HexFormat.of().formatHex(bytes).substring(0, 17);
    }

    /** Whether {@code id} has the shape {@code prefix-} followed by 8 or 17 hex digits. */
    public static boolean looksLike(String prefix, String id) {
        return id != null && id.startsWith(prefix + "-") && DIGITS.matcher(id.substring(prefix.length() + 1)).matches();
    }

    /**
     * {@code id} if it is a well-formed id of {@code kind}; otherwise a {@link AmiforgeException.Kind#USAGE}
     * failure with EC2's code ({@code InvalidAMIID.Malformed}, ...) naming the id and the expected form.
     * A well-formed id that names nothing is the caller's NotFound, not this.
     */
    public static String require(Resource kind, String id) {
        String prefix = kind.prefix();
        if (id == null || !looksLike(prefix.substring(0, prefix.length() - 1), id)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, kind.malformedCode(), "Invalid id: \"" + id
                    + "\" (expecting \"" + prefix + "\" and 8 or 17 hexadecimal digits for " + kind.what + " id)");
        }
        return id;
    }
}
