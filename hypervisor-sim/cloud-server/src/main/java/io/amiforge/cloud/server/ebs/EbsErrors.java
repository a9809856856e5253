package io.amiforge.cloud.server.ebs;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.server.auth.AuthFailure;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.server.http.ApiResponse;

/**
 * EBS direct's errors as the service answers them (rest-json): the HTTP status, the error type
 * in {@code x-amzn-ErrorType} and in the body's {@code __type}, the {@code Message} and, where
 * the type has one, its {@code Reason}.
 */
public final class EbsErrors {

    private static final ObjectMapper JSON = new ObjectMapper();

    private EbsErrors() {
    }

    static ApiException validation(String reason, String message) {
        return new ApiException(400, "ValidationException", message, reason);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "ResourceNotFoundException", message, "SNAPSHOT_NOT_FOUND");
    }

    static ApiException conflict(String message) {
        return new ApiException(409, "ConflictException", message);
    }

    /** The answer to {@code e}. */
    public static ApiResponse response(ApiException e) {
        ObjectNode body = JSON.createObjectNode();
        body.put("__type", e.code());
        body.put("Message", e.getMessage());
        if (e.reason() != null) {
            body.put("Reason", e.reason());
        }
        return ApiResponse.text(e.status(), "application/json", body.toString()).withHeader("x-amzn-ErrorType", e.code());
    }

    /** A refused signature, as EBS direct (like every JSON service) names it. */
    public static ApiException of(AuthFailure f) {
        return switch (f.reason()) {
            case UNKNOWN_KEY -> new ApiException(403, "UnrecognizedClientException", f.getMessage());
            case SIGNATURE_MISMATCH -> new ApiException(403, "InvalidSignatureException", f.getMessage());
            case EXPIRED -> new ApiException(403, "InvalidSignatureException", "Signature expired: " + f.getMessage());
            case PAYLOAD_HASH_MISMATCH -> new ApiException(400, "XAmzContentSHA256Mismatch", f.getMessage());
            case WRONG_SCOPE, MISSING_OR_MALFORMED -> new ApiException(403, "IncompleteSignatureException", f.getMessage());
        };
    }

    /** A library refusal ({@code AmiforgeException}) in EBS direct's terms. */
    static ApiException of(AmiforgeException e) {
        return switch (e.kind()) {
            case NOT_FOUND -> notFound(e.getMessage());
            case NOT_PERMITTED -> new ApiException(403, "AccessDeniedException", e.getMessage(), "UNAUTHORIZED_ACCOUNT");
            case USAGE, INVALID_INPUT -> validation("INVALID_PARAMETER_VALUE", e.getMessage());
            case FAILED -> new ApiException(500, "InternalServerException", e.getMessage());
        };
    }
}
