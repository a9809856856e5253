package io.amiforge.blockdev;

/**
 * An error a user can act on: a coarse {@link Kind} (what sort of failure) and a short
 * machine-readable code chosen by the layer that throws it, in that layer's vocabulary (the
 * block core says {@code OutOfRange} or {@code CorruptData}; the cloud model uses EC2's codes
 * such as {@code InvalidAMIID.NotFound}). Front ends map the kind to their own contract (the
 * command line to exit codes, an API server to HTTP statuses); this type knows neither. Every
 * amiforge library exception that can reach a user extends this. The message names the object
 * and the offset, block or line, and says what was expected.
 */
public class AmiforgeException extends RuntimeException {

    /** What went wrong, coarsely. */
    public enum Kind {
        /** The operation ran and did not reach its goal (a failed boot, damage found). */
        FAILED,
        /** The request itself is malformed. */
        USAGE,
        /** An input (file, image, store) is invalid or corrupt. */
        INVALID_INPUT,
        /** A named object does not exist (or the caller may not know that it does). */
        NOT_FOUND,
        /** The caller may not do this (permissions, object state). */
        NOT_PERMITTED
    }

    private final Kind kind;
    private final String code;

    public AmiforgeException(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
    }

    public AmiforgeException(Kind kind, String code, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.code = code;
    }

    public Kind kind() {
        return kind;
    }

    /** The machine-readable code, e.g. {@code CorruptData} or {@code InvalidSnapshot.NotFound}. */
    public String code() {
        return code;
    }
}
