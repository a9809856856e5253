package io.amiforge.cloud.server.http;

/**
 * A request the server refuses, in the words AWS uses: the error {@code code}
 * ({@code InvalidParameterValue}, {@code ValidationException}, ...), the HTTP status it answers
 * with, a message naming what is wrong, and for EBS direct's {@code ValidationException} its
 * {@code reason} (null otherwise). Thrown before anything is changed.
 */
public final class ApiException extends RuntimeException {

    private final String code;
    private final int status;
    private final String reason;

    public ApiException(int status, String code, String message) {
        this(status, code, message, null);
    }

    public ApiException(int status, String code, String message, String reason) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.reason = reason;
    }

    /** The AWS error code. */
    public String code() {
        return code;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** EBS direct's ValidationException reason, or null. */
    public String reason() {
        return reason;
    }
}
