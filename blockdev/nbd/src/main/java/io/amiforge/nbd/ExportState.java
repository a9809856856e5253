package io.amiforge.nbd;

import io.amiforge.pipeline.RequestPipeline;

/** A started export: its description, the pipeline all its connections share, and its flags. */
record ExportState(NbdExport export, RequestPipeline pipeline) {

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
