package io.amiforge.cloud;

import java.security.SecureRandom;
import java.util.HexFormat;

/** EC2-style resource ids: a prefix and 17 lowercase hex digits ({@code ami-0123456789abcdef0}). */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();

    private Ids() {
    }

    public static String next(String prefix) {
        byte[] bytes = new byte[9];
        RANDOM.nextBytes(bytes);
        return prefix + "-" + HexFormat.of().formatHex(bytes).substring(0, 17);
    }

    /** Whether {@code id} has the shape {@code prefix-} followed by 8 or 17 hex digits. */
    public static boolean looksLike(String prefix, String id) {
        return id != null && id.matches(prefix + "-([0-9a-f]{8}|[0-9a-f]{17})");
    }
}
