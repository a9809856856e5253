package io.amiforge.store.objects;

import io.amiforge.blockdev.AmiforgeException;

/**
 * An object-store request that did not succeed, naming the store, the key and (for reads) the
 * range. Codes: {@code ObjectNotFound}, {@code ObjectStoreUnavailable} (endpoint unreachable or
 * failing after retries), {@code ObjectStoreDenied} (credentials, permissions),
 * {@code ObjectStoreError} (any other answer).
 */
public final class ObjectStoreException extends AmiforgeException {

    public ObjectStoreException(Kind kind, String code, String message, Throwable cause) {
        super(kind, code, message, cause);
    }

    /** No object (or no such range) under {@code key}. */
    public static ObjectStoreException notFound(String where, String key) {
        return new ObjectStoreException(Kind.NOT_FOUND, "ObjectNotFound", where + ": no object '" + key + "'", null);
    }

    /** The endpoint did not answer (or kept failing) for {@code what}. */
    public static ObjectStoreException unavailable(String where, String what, Throwable cause) {
        return new ObjectStoreException(Kind.FAILED, "ObjectStoreUnavailable",
                where + ": " + what + ": the object store is unavailable (" + cause.getMessage() + ")", cause);
    }

    /** The store refused the credentials or the request. */
    public static ObjectStoreException denied(String where, String what, Throwable cause) {
        return new ObjectStoreException(Kind.NOT_PERMITTED, "ObjectStoreDenied",
                where + ": " + what + ": access denied (" + cause.getMessage() + ")", cause);
    }

    /** Any other failure answer for {@code what}. */
    public static ObjectStoreException error(String where, String what, Throwable cause) {
        return new ObjectStoreException(Kind.FAILED, "ObjectStoreError", where + ": " + what + ": " + cause.getMessage(), cause);
    }
}
