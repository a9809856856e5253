package io.amiforge.cloud.server.ec2;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.server.auth.AuthFailure;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.server.http.ApiResponse;

/**
 * EC2's error documents ({@code <Response><Errors><Error><Code/><Message/></Error></Errors>
 * <RequestID/></Response>}) and HTTP statuses, and the mapping of library refusals and
 * signature failures to EC2's codes.
 */
public final class Ec2Errors {

    private Ec2Errors() {
    }

    /** The answer to {@code e}. */
    public static ApiResponse response(ApiException e, String requestId) {
        XmlWriter w = XmlWriter.bare("Response").start("Errors").start("Error")
                .element("Code", e.code()).element("Message", e.getMessage()).end().end().element("RequestID", requestId);
        return ApiResponse.text(e.status(), "text/xml;charset=UTF-8", w.finish());
    }

    /** A refused signature in EC2's words. */
    public static ApiException of(AuthFailure f) {
        return switch (f.reason()) {
            case UNKNOWN_KEY -> new ApiException(401, "AuthFailure", f.getMessage());
            case SIGNATURE_MISMATCH, WRONG_SCOPE -> new ApiException(403, "SignatureDoesNotMatch", f.getMessage());
            case EXPIRED -> new ApiException(400, "RequestExpired", f.getMessage());
            case PAYLOAD_HASH_MISMATCH -> new ApiException(400, "XAmzContentSHA256Mismatch", f.getMessage());
            case MISSING_OR_MALFORMED -> new ApiException(401, "AuthFailure", f.getMessage());
        };
    }

    /** A library refusal ({@code AmiforgeException}, whose code is already EC2's) with EC2's HTTP status. */
    static ApiException of(AmiforgeException e) {
        int status = switch (e.kind()) {
            case NOT_PERMITTED -> "UnauthorizedOperation".equals(e.code()) ? 403 : 400;
            case FAILED -> 500;
            default -> 400;
        };
        String code = e.kind() == AmiforgeException.Kind.FAILED && "IOError".equals(e.code()) ? "InternalError" : e.code();
        return new ApiException(status, code, e.getMessage());
    }
}
