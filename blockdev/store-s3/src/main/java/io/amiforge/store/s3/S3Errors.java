package io.amiforge.store.s3;

import io.amiforge.store.objects.ObjectStoreException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Turns what the SDK throws (after its own bounded retries) into {@link ObjectStoreException}s
 * that name the store, the operation and the key: 404 (no key, or no bucket) and 416 are
 * {@code NOT_FOUND}, 401 and
 * 403 are denied, 5xx answers and client-side failures (refused or reset connections, timeouts)
 * are unavailable, any other answer is an error with S3's code and message.
 */
final class S3Errors {

    private S3Errors() {
    }

    /** The cause under the future's wrapping ({@link CompletionException}, {@link ExecutionException}). */
    static Throwable unwrap(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** The HTTP status of an S3 answer, or 0 when the failure was not an answer. */
    static int status(Throwable t) {
        return unwrap(t) instanceof AwsServiceException e ? e.statusCode() : 0;
    }

    /**
     * The exception for {@code t}, thrown by operation {@code what} on {@code key} of the store
     * {@code where}.
     */
    static ObjectStoreException map(String where, String what, String key, Throwable t) {
        Throwable cause = unwrap(t);
        if (cause instanceof ObjectStoreException e) {
            return e;
        }
        String operation = what + " '" + key + "'";
        if (cause instanceof AwsServiceException e) {
            int status = e.statusCode();
            String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
            if (status == 404 && "NoSuchBucket".equals(code)) {
                return new ObjectStoreException(ObjectStoreException.Kind.NOT_FOUND, "ObjectStoreNoBucket",
                        where + ": " + operation + ": the bucket does not exist", e);
            }
            if (status == 404) {
                return ObjectStoreException.notFound(where, key);
            }
            if (status == 416) {
                return new ObjectStoreException(ObjectStoreException.Kind.NOT_FOUND, "ObjectNotFound",
                        where + ": " + operation + ": the range is beyond the object's end", e);
            }
            if (status == 401 || status == 403) {
                return ObjectStoreException.denied(where, operation, e);
            }
            if (status >= 500) {
                return ObjectStoreException.unavailable(where, operation, e);
            }
            return ObjectStoreException.error(where, operation, e);
        }
        if (cause instanceof SdkClientException || cause instanceof java.io.IOException
                || cause instanceof java.util.concurrent.TimeoutException) {
            return ObjectStoreException.unavailable(where, operation, cause);
        }
        return ObjectStoreException.error(where, operation, cause);
    }
}
