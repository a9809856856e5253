package io.amiforge.cloud.server.auth;

/**
 * Why a request's signature was refused; each API answers a reason with its own error code
 * (EC2: {@code AuthFailure}, {@code SignatureDoesNotMatch}, {@code RequestExpired}; EBS direct:
 * {@code UnrecognizedClientException}, {@code InvalidSignatureException}, ...).
 */
public final class AuthFailure extends RuntimeException {

    /** The kinds of refusal. */
    public enum Reason {
        /** No or malformed Authorization header / X-Amz-* query parameters, or a bad date. */
        MISSING_OR_MALFORMED,
        /** The access key id is not one the server issued. */
        UNKNOWN_KEY,
        /** The signature does not match the request. */
        SIGNATURE_MISMATCH,
        /** The request's time is outside the allowed skew, or a presigned URL has expired. */
        EXPIRED,
        /** The credential scope names another service, or a region the cloud does not have. */
        WRONG_SCOPE,
        /** x-amz-content-sha256 is not the body's hash. */
        PAYLOAD_HASH_MISMATCH
    }

    private final Reason reason;

    public AuthFailure(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
