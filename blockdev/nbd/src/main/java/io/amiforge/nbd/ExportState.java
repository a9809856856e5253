package io.amiforge.nbd;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.pipeline.RequestPipeline;

/**
 * A started export: its description, the pipeline all its connections share, and its
 * allocation status (the device itself when it implements {@link AllocationStatus}, else null:
 * all data).
 */
record ExportState(NbdExport export, RequestPipeline pipeline, AllocationStatus allocation) {

    ExportState(NbdExport export, RequestPipeline pipeline) {
        this(export, pipeline, export.device() instanceof AllocationStatus a ? a : null);
    }

    /** Transmission flags for a connection; {@code structured} adds the DF flag. */
    int transmissionFlags(boolean structured) {
        int flags = NbdProtocol.FLAG_HAS_FLAGS | NbdProtocol.FLAG_SEND_FLUSH | NbdProtocol.FLAG_SEND_FUA
                | NbdProtocol.FLAG_SEND_TRIM | NbdProtocol.FLAG_SEND_WRITE_ZEROES | NbdProtocol.FLAG_CAN_MULTI_CONN;
        if (export.readOnly()) {
            flags |= NbdProtocol.FLAG_READ_ONLY;
        }
        if (structured) {
            flags |= NbdProtocol.FLAG_SEND_DF;
        }
        return flags;
    }

    long size() {
        return export.device().size();
    }
}
