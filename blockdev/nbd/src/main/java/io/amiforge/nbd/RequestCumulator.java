package io.amiforge.nbd;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.ByteToMessageDecoder;

/**
 * How one connection gathers the bytes of a request that arrives in several socket reads: each
 * byte is copied at most once. Netty's merging cumulator grows the buffer to what has arrived
 * so far, so a 256 KiB WRITE payload read 64 KiB at a time was copied two to three times while
 * it grew (a third of the server's CPU under nbdcopy writes). Here the decoder says how many
 * bytes the request it waits for needs ({@link #expect}), and the buffer is made that large at
 * once. A read that arrives while nothing is buffered becomes the buffer itself, uncopied.
 */
final class RequestCumulator implements ByteToMessageDecoder.Cumulator {

    /** Bytes the request being gathered needs in all, header included; 0 when unknown. */
    private int expected;

    /** The decoder waits for a request of {@code bytes} bytes in all (header and payload). */
    void expect(int bytes) {
        expected = bytes;
    }

    @Override
    public ByteBuf cumulate(ByteBufAllocator alloc, ByteBuf cumulation, ByteBuf in) {
        if (!cumulation.isReadable() && in.isContiguous()) {
            cumulation.release();
            return in;
        }
        try {
            int incoming = in.readableBytes();
            int held = cumulation.readableBytes();
            if (cumulation.refCnt() == 1 && !cumulation.isReadOnly()
                    && cumulation.capacity() - held >= incoming) {
                if (cumulation.writableBytes() < incoming) {
                    cumulation.discardReadBytes(); // moves only the partial request to the front
                }
                cumulation.writeBytes(in);
                return cumulation;
            }
            int size = Math.max(held + incoming, expected);
            ByteBuf larger = alloc.directBuffer(size);
            larger.writeBytes(cumulation, cumulation.readerIndex(), held).writeBytes(in);
            cumulation.release();
            return larger;
        } finally {
            in.release();
        }
    }
}
