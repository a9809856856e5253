package io.amiforge.imagefmt.partition;

import io.amiforge.blockdev.AmiforgeException;

/** The exceptions of this package: one code for damaged tables, one for bad requests. */
final class PartitionErrors {

    private PartitionErrors() {
    }

    static AmiforgeException invalid(String message) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidPartitionTable", message);
    }

    static AmiforgeException badRequest(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", message);
    }
}
