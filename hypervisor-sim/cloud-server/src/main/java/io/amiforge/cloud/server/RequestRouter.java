package io.amiforge.cloud.server;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.server.auth.AuthFailure;
import io.amiforge.cloud.server.auth.Caller;
import io.amiforge.cloud.server.auth.SigV4Verifier;
import io.amiforge.cloud.server.ebs.EbsDirectApi;
import io.amiforge.cloud.server.ebs.EbsErrors;
import io.amiforge.cloud.server.ec2.Ec2Errors;
import io.amiforge.cloud.server.ec2.Ec2QueryApi;
import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.server.http.ApiRequest;
import io.amiforge.cloud.server.http.ApiResponse;

/**
 * Turns one request into one answer: picks the API by path ({@code /snapshots...} is EBS
 * direct, anything else the EC2 Query API), verifies the signature for that API's service name,
 * runs the action as the key's account and turns every refusal into that API's error document.
 * An unexpected failure is {@code InternalError} / {@code InternalServerException} with the
 * request id; its stack trace goes to the server's log, never to the client.
 */
final class RequestRouter {

    private static final System.Logger LOG = System.getLogger(RequestRouter.class.getName());

    private final SigV4Verifier verifier;
    private final Ec2QueryApi ec2;
    private final EbsDirectApi ebs;

    RequestRouter(SigV4Verifier verifier, Ec2QueryApi ec2, EbsDirectApi ebs) {
        this.verifier = verifier;
        this.ec2 = ec2;
        this.ebs = ebs;
    }

    /** The answer to {@code request}; never throws. */
    ApiResponse answer(ApiRequest request, String requestId) {
        boolean isEbs = EbsDirectApi.handles(request.rawPath());
        try {
            try {
                Caller caller = verifier.verify(request, isEbs ? "ebs" : "ec2", isEbs);
                return isEbs ? ebs.handle(request, caller) : ec2.handle(request, caller, requestId);
            } catch (AuthFailure f) {
                throw isEbs ? EbsErrors.of(f) : Ec2Errors.of(f);
            }
        } catch (ApiException e) {
            return isEbs ? EbsErrors.response(e) : Ec2Errors.response(e, requestId);
        } catch (AmiforgeException e) {
            LOG.log(System.Logger.Level.WARNING, "request " + requestId + ": " + e.getMessage(), e);
            ApiException internal = new ApiException(500, isEbs ? "InternalServerException" : "InternalError",
                    e.getMessage() + " (request " + requestId + ")");
            return isEbs ? EbsErrors.response(internal) : Ec2Errors.response(internal, requestId);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "request " + requestId + " failed unexpectedly", e);
            ApiException internal = new ApiException(500, isEbs ? "InternalServerException" : "InternalError",
                    "An internal error has occurred (request " + requestId + ")");
            return isEbs ? EbsErrors.response(internal) : Ec2Errors.response(internal, requestId);
        }
    }

    /** The answer to a request that could not even be read (bad URI, bad query escapes). */
    static ApiResponse unreadable(String rawPath, ApiException e, String requestId) {
        return EbsDirectApi.handles(rawPath) ? EbsErrors.response(e) : Ec2Errors.response(e, requestId);
    }
}
