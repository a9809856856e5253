package io.amiforge.store;

import io.amiforge.blockdev.AmiforgeException;

/**
 * A failure of the snapshot store a user can act on. Codes: {@code InvalidVolume.NotFound},
 * {@code InvalidSnapshot.NotFound}, {@code InvalidVolume.Duplicate}, {@code StoreLocked},
 * {@code UnsupportedStoreVersion}, {@code CorruptData}, {@code InvalidParameterValue},
 * {@code IncorrectState}, {@code VolumeInUse}.
 */
public final class StoreException extends AmiforgeException {

    public StoreException(Kind kind, String code, String message) {
        super(kind, code, message);
    }

    public StoreException(Kind kind, String code, String message, Throwable cause) {
        super(kind, code, message, cause);
    }

    static StoreException volumeNotFound(String name) {
        return new StoreException(Kind.NOT_FOUND, "InvalidVolume.NotFound", "volume '" + name + "' does not exist");
    }

    static StoreException snapshotNotFound(String id) {
        return new StoreException(Kind.NOT_FOUND, "InvalidSnapshot.NotFound", "snapshot '" + id + "' does not exist");
    }

    static StoreException duplicateVolume(String name) {
        return new StoreException(Kind.INVALID_INPUT, "InvalidVolume.Duplicate", "volume '" + name + "' already exists");
    }

    static StoreException invalid(String message) {
        return new StoreException(Kind.USAGE, "InvalidParameterValue", message);
    }

    static StoreException corrupt(String message) {
        return new StoreException(Kind.INVALID_INPUT, "CorruptData", message);
    }

    static StoreException state(String message) {
        return new StoreException(Kind.NOT_PERMITTED, "IncorrectState", message);
    }
}
