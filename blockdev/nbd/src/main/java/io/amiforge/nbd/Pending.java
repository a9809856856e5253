package io.amiforge.nbd;

import io.netty.buffer.ByteBuf;

/**
 * One NBD request between decoding and its reply. Pooled per connection (created and recycled
 * on the connection's event loop); the pipeline's consumer thread touches it only between
 * submit and completion, and the ring and the completion queue order those accesses.
 */
final class Pending {
    NbdConnection connection;
    long cookie;
    int command;
    int flags;
    long offset;
    long length;
    /** Bytes this request holds while in flight (write payload, reply buffer), for flow control. */
    long bytes;
    /** READ / BLOCK_STATUS: the reply being built; WRITE: the payload. */
    ByteBuf buf;
    int error;
    String message;

    void reset() {
        buf = null;
        error = 0;
        message = null;
    }
}
