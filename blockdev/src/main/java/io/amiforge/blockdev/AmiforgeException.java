package io.amiforge.blockdev;

/**
 * An error a user can act on: it carries an EC2-style error code ("InvalidAMIID.NotFound",
 * "InvalidParameterValue", ...) and a {@link Kind} that decides the command-line exit code.
 * Every amiforge library exception that can reach a user extends this. The message names the
 * object and the offset, block or line, and says what was expected.
 */
public class AmiforgeException extends RuntimeException {

    /** What went wrong, coarsely; each maps to one exit code of the command-line contract. */
    public enum Kind {
        /** The operation ran and did not reach its goal (a failed boot, damage found): exit 1. */
        FAILED(1),
        /** The request itself is malformed: exit 2. */
        USAGE(2),
        /** An input (file, image, store) is invalid or corrupt: exit 3. */
        INVALID_INPUT(3),
        /** A named object does not exist: exit 4. */
        NOT_FOUND(4),
        /** The caller may not do this (permissions, object state): exit 5. */
        NOT_PERMITTED(5);

        private final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
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

    /** The EC2-style code, e.g. {@code InvalidSnapshot.NotFound}. */
    public String code() {
        return code;
    }
}
