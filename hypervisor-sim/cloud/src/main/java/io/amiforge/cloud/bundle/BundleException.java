package io.amiforge.cloud.bundle;

import io.amiforge.blockdev.AmiforgeException;

/**
 * A bundle or unbundle failure a user can act on. The message names the manifest, part,
 * element or key file, and says what was found against what was expected.
 */
public final class BundleException extends AmiforgeException {

    /** Error code for a manifest that is malformed, truncated or misses an element. */
    public static final String INVALID_MANIFEST = "InvalidManifest";
    /** Error code for a part whose bytes or digest do not match the manifest. */
    public static final String INVALID_PART = "InvalidBundlePart";
    /** Error code for a signature that does not verify. */
    public static final String SIGNATURE = "InvalidManifestSignature";
    /** Error code for a key or certificate that cannot be read or does not fit. */
    public static final String INVALID_KEY = "InvalidKey";
    /** Error code for a decrypted stream that is not the image the manifest describes. */
    public static final String INVALID_BUNDLE = "InvalidBundle";

    public BundleException(Kind kind, String code, String message) {
        super(kind, code, message);
    }

    public BundleException(Kind kind, String code, String message, Throwable cause) {
        super(kind, code, message, cause);
    }

    static BundleException invalid(String code, String message) {
        return new BundleException(Kind.INVALID_INPUT, code, message);
    }

    static BundleException invalid(String code, String message, Throwable cause) {
        return new BundleException(Kind.INVALID_INPUT, code, message, cause);
    }

    static BundleException io(String what, java.io.IOException e) {
        return new BundleException(Kind.FAILED, "IOError", what + ": " + e.getMessage(), e);
    }
}
