package io.amiforge.nbd;

import static io.amiforge.nbd.NbdProtocol.*;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.blockdev.Extent;
import io.amiforge.blockdev.FileBacked;
import io.amiforge.pipeline.BlockCompletion;
import io.amiforge.pipeline.BlockOp;
import io.amiforge.pipeline.BlockRequest;
import io.amiforge.pipeline.BlockTask;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.internal.PlatformDependent;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The transmission phase of one connection (after {@link NbdNegotiation}). Requests are
 * decoded on the event loop. Reads up to the server's inline limit (none by default) are served
 * there at once; everything else is submitted to the export's
 * {@link io.amiforge.pipeline.RequestPipeline}, whose completions arrive on the pipeline's
 * thread, are queued, and one drain task per burst writes every finished reply on the event
 * loop and flushes the socket once. Replies therefore leave in completion order, not request
 * order, as the protocol allows.
 *
 * <p>A protocol violation the connection cannot recover from (bad request magic; a READ or
 * WRITE over 32 MiB, answered EINVAL first) closes this connection only; requests already
 * handed to the pipeline still complete, so the device never sees a half-applied request from
 * a dropped connection.
 *
 * <h2>Bounded memory</h2>
 * The connection's <em>buffered bytes</em> are what it holds on the client's behalf: request
 * bytes received but not yet decoded, write payloads and reply buffers of requests in flight,
 * and replies queued for a client that is not reading them. Before decoding a request it checks
 * that the request fits under the server's per-connection limit (a request is always admitted
 * when nothing else is held, so one request of up to 32 MiB is always possible); otherwise it
 * stops decoding and stops reading from the socket (auto-read off, so TCP pushes back on the
 * client) until completions and the client's reading bring the total under half the limit.
 * At most {@value #MAX_INFLIGHT} requests are in flight. With nothing in flight, a connection
 * from which nothing was read for the idle timeout is closed.
 */
final class NbdConnection extends ByteToMessageDecoder implements BlockCompletion {

    /** Reads at least this long, on exports with allocation status, send holes as OFFSET_HOLE chunks. */
    static final int HOLE_READ_MIN = 64 * 1024;
    private static final int MAX_READ_CHUNKS = 64;
    private static final int MAX_STATUS_EXTENTS = 256;
    /**
     * Reads at least this long are streamed ({@link DeviceRegion}, or {@link FileSlice} with
     * sendfile); shorter ones take the buffer path: header and data in one write. Sent from a
     * file, a 4 KiB read cost a second syscall and a second TCP segment (the header alone,
     * TCP_NODELAY), and random 4 KiB reads at depth 16 ran at a quarter of the buffer path's rate
     * (docs/nbd.md).
     */
    static final int STREAM_MIN_READ = 64 * 1024;
    /** Writes at least this long through the pipeline keep their payload in the receive buffer. */
    static final int RETAINED_WRITE_MIN = 64 * 1024;
    /** Requests in flight per connection before it stops decoding. */
    static final int MAX_INFLIGHT = 256;

    private final Queue<Pending> completed = PlatformDependent.newMpscQueue();
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final ArrayDeque<Pending> pool = new ArrayDeque<>();
    private final RequestCumulator cumulator = new RequestCumulator();
    private final Runnable drainTask = this::drain;
    private final Runnable redecodeTask = this::redecode;
    private final Runnable afterOutboundDrained = () -> {
        outboundWatched = false;
        updateFlow();
    };
    /**
     * Runs {@link #afterOutboundDrained} as a task, not here: Netty completes the empty write's
     * promise before it subtracts that entry from the pending bytes, so from inside the listener
     * the outbound buffer never looks empty; re-arming there wrote another empty buffer that
     * completed at once, and the event loop spun forever (nbdcopy hung against a 4 MiB limit).
     */
    private final ChannelFutureListener outboundDrained = f -> this.ctx.executor().execute(afterOutboundDrained);
    private final BlockTask holeReadTask = this::holeAwareRead;
    private final BlockTask statusTask = this::blockStatus;
    private final NbdServer server;
    private final ExportState export;
    private final long bufferLimit;
    private final int inlineReadLimit;
    private final int inlineWriteLimit;
    private final long exportSize;
    private final boolean structured;
    private final boolean metaSelected;
    /** The export's device when its bytes are a file's, so reads are sent from the file; else null. */
    private final FileBacked fileBacked;
    /** Whether long reads of any device are streamed through the {@link #stage}. */
    private final boolean streamReads;

    private ChannelHandlerContext ctx;
    private boolean closed;
    private int inflight;
    private long inflightBytes;
    private boolean paused;
    private boolean outboundWatched;
    private long reported;
    private boolean disconnecting;
    private boolean needsFlush;
    /** The stage of this connection's {@link DeviceRegion}s, made at the first. */
    private Stage stage;
    /** Bytes of regions written and not yet taken by the socket (Netty does not count them). */
    private long sliceBytes;

    NbdConnection(NbdServer server, ExportState export, boolean structured, boolean allocationContext) {
        this.server = server;
        this.bufferLimit = server.connectionBufferLimit();
        this.inlineReadLimit = server.inlineReadLimit();
        this.inlineWriteLimit = server.inlineWriteLimit();
        this.export = export;
        this.exportSize = export.size();
        this.structured = structured;
        this.metaSelected = allocationContext;
        this.fileBacked = server.sendfile() && export.export().device() instanceof FileBacked f ? f : null;
        this.streamReads = server.streamReads();
        setCumulator(cumulator);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
    }

    /**
     * Not the decoder's own: with auto-read off and no message decoded, ByteToMessageDecoder
     * asks the socket for more data, which would defeat the pause.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        discardSomeReadBytes();
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        abort(); // a reset by the peer or a decoding bug: this connection only
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            if (inflight == 0) {
                abort(); // nothing read for the idle timeout and nothing left to answer
            }
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        closed = true;
        report(); // the decoder has released what it had not decoded
    }

    /** Closes this connection at once; in-flight requests still complete against the device. */
    private void abort() {
        closed = true;
        ctx.close();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (closed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        decodeRequest(in);
        if (!paused && held() > 0 && held() + in.readableBytes() >= bufferLimit) {
            pause(); // a partial request is arriving while others are held: stop reading
        }
        report();
    }

    // ---------------------------------------------------------------- transmission

    private void decodeRequest(ByteBuf in) {
        if (disconnecting) {
            in.skipBytes(in.readableBytes()); // nothing may follow NBD_CMD_DISC
            return;
        }
        if (in.readableBytes() < REQUEST_HEADER) {
            return;
        }
        int start = in.readerIndex();
        int magic = in.getInt(start);
        int flags = in.getUnsignedShort(start + 4);
        int command = in.getUnsignedShort(start + 6);
        long length = in.getUnsignedInt(start + 24);
        if (magic != REQUEST_MAGIC) {
            abort();
            return;
        }
        if ((command == CMD_READ || command == CMD_WRITE) && length > MAX_PAYLOAD) {
            refuseOversized(in, command, in.getLong(start + 8), length);
            return;
        }
        long cost = command == CMD_READ ? length : 0; // a write's payload is already buffered
        if (paused || inflight >= MAX_INFLIGHT || (held() > 0 && held() + in.readableBytes() + cost > bufferLimit)) {
            pause();
            return; // decoded when completions (or the client reading replies) free room
        }
        if (command == CMD_WRITE && in.readableBytes() < REQUEST_HEADER + length) {
            cumulator.expect(REQUEST_HEADER + (int) length);
            return; // wait for the payload
        }
        cumulator.expect(0);
        long cookie = in.getLong(start + 8);
        long offset = in.getLong(start + 16);
        in.skipBytes(REQUEST_HEADER);
        boolean inRange = offset >= 0 && offset <= exportSize - length; // offset is unsigned on the wire
        switch (command) {
            case CMD_READ -> read(cookie, flags, offset, (int) length, inRange);
            case CMD_WRITE -> write(in, cookie, flags, offset, (int) length, inRange);
            case CMD_FLUSH -> submitSimple(BlockOp.FLUSH, cookie, 0, 0, 0);
            case CMD_TRIM, CMD_WRITE_ZEROES -> {
                if (export.export().readOnly()) {
                    replyNow(cookie, EPERM);
                } else if (!inRange) {
                    replyNow(cookie, EINVAL);
                } else if (length == 0) {
                    replyNow(cookie, 0);
                } else {
                    int pipelineFlags = (flags & CMD_FLAG_FUA) != 0 ? BlockRequest.FUA : 0;
                    if (command == CMD_WRITE_ZEROES && (flags & CMD_FLAG_NO_HOLE) != 0) {
                        pipelineFlags |= BlockRequest.NO_HOLE;
                    }
                    submitSimple(command == CMD_TRIM ? BlockOp.DISCARD : BlockOp.WRITE_ZEROES,
                            cookie, offset, length, pipelineFlags);
                }
            }
            case CMD_BLOCK_STATUS -> blockStatusRequest(cookie, flags, offset, length, inRange);
            case CMD_DISC -> {
                disconnecting = true;
                in.skipBytes(in.readableBytes());
                if (inflight == 0) {
                    closeAfterFlush();
                }
            }
            default -> replyNow(cookie, EINVAL);
        }
    }

    /** A READ or WRITE over 32 MiB: EINVAL, then the connection closes (a write's payload is not read). */
    private void refuseOversized(ByteBuf in, int command, long cookie, long length) {
        closed = true;
        in.skipBytes(in.readableBytes());
        String message = (command == CMD_READ ? "read" : "write") + " of " + length
                + " bytes is over the 32 MiB maximum (NBD_INFO_BLOCK_SIZE)";
        ByteBuf reply = appendError(null, cookie, EINVAL, message, structured && command == CMD_READ);
        ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
    }

    private void read(long cookie, int flags, long offset, int length, boolean inRange) {
        if (!inRange) {
            replyError(cookie, EINVAL, "read [" + offset + ", +" + length + ") is outside the export (size "
                    + exportSize + ")");
            return;
        }
        if (length == 0) {
            replyError(cookie, 0, null); // a NONE chunk when structured
            return;
        }
        if (length >= STREAM_MIN_READ && (fileBacked != null || streamReads)) {
            sendRegions(cookie, flags, offset, length);
            return;
        }
        if (structured && export.allocation() != null && length >= HOLE_READ_MIN && (flags & CMD_FLAG_DF) == 0) {
            ByteBuf buf = ctx.alloc().directBuffer(length + MAX_READ_CHUNKS * (CHUNK_HEADER + 12));
            Pending p = pending(cookie, CMD_READ, flags, offset, length, buf);
            export.pipeline().task(holeReadTask, offset, length, null, this, p, cookie);
            return;
        }
        int header = structured ? CHUNK_HEADER + 8 : SIMPLE_HEADER;
        ByteBuf buf = ctx.alloc().directBuffer(header + length);
        if (structured) {
            buf.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_OFFSET_DATA)
                    .writeLong(cookie).writeInt(8 + length).writeLong(offset);
        } else {
            buf.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(cookie);
        }
        buf.writerIndex(header + length);
        MemorySegment dst = segment(buf, header, length);
        if (length <= inlineReadLimit && dst != null) {
            readInline(cookie, offset, buf, dst);
            return;
        }
        Pending p = pending(cookie, CMD_READ, flags, offset, length, buf);
        export.pipeline().read(offset, dst, this, p, cookie);
    }

    /**
     * Serves a read on the event loop: the device fills the reply buffer, which is flushed at
     * once (batching the replies of one socket read made client and server take turns).
     */
    private void readInline(long cookie, long offset, ByteBuf buf, MemorySegment dst) {
        try {
            export.export().device().read(offset, dst);
        } catch (RuntimeException e) { // as a pipelined read reports it: an errno and the message
            buf.release();
            replyError(cookie, errno(e), e.getMessage());
            return;
        }
        ctx.writeAndFlush(buf, ctx.voidPromise());
    }

    /**
     * Serves a long read on the event loop without a buffer of its own: the reply header, then
     * the data as a region the socket pulls, from the file by {@code sendfile} ({@link FileSlice},
     * when enabled and the device is file-backed) or from the device through the connection's
     * stage ({@link DeviceRegion}); flushed at once. A structured read that may send holes (as
     * {@link #holeAwareRead}) sends an OFFSET_HOLE chunk per hole and a header plus region per
     * data run. A failure before anything is written is an error reply; one while walking the
     * extents after earlier chunks is an error chunk ending the reply.
     */
    private void sendRegions(long cookie, int flags, long offset, int length) {
        FileChannel file = null;
        long base = 0;
        if (fileBacked != null) {
            try {
                file = fileBacked.backingFile();
            } catch (RuntimeException e) {
                replyError(cookie, errno(e), e.getMessage());
                return;
            }
            base = fileBacked.backingOffset();
            server.sentFromFile();
        }
        AllocationStatus allocation = export.allocation();
        if (!structured || allocation == null || length < HOLE_READ_MIN || (flags & CMD_FLAG_DF) != 0) {
            ByteBuf head = ctx.alloc().directBuffer(CHUNK_HEADER + 8);
            if (structured) {
                head.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_OFFSET_DATA)
                        .writeLong(cookie).writeInt(8 + length).writeLong(offset);
            } else {
                head.writeInt(SIMPLE_REPLY_MAGIC).writeInt(0).writeLong(cookie);
            }
            writeRegion(head, file, base, offset, length);
            ctx.flush();
            return;
        }
        ReadRuns runs = new ReadRuns(allocation, offset, offset + length, MAX_READ_CHUNKS);
        ByteBuf head = null;
        try {
            while (runs.advance()) {
                long pos = runs.start();
                int n = runs.length();
                int done = runs.last() ? REPLY_FLAG_DONE : 0;
                if (head == null) {
                    head = ctx.alloc().directBuffer(256);
                }
                if (runs.hole()) {
                    head.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(done).writeShort(REPLY_TYPE_OFFSET_HOLE)
                            .writeLong(cookie).writeInt(12).writeLong(pos).writeInt(n);
                } else {
                    head.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(done).writeShort(REPLY_TYPE_OFFSET_DATA)
                            .writeLong(cookie).writeInt(8 + n).writeLong(pos);
                    writeRegion(head, file, base, pos, n);
                    head = null;
                }
            }
        } catch (RuntimeException e) { // the extents could not be read: an error chunk ends the reply
            head = appendError(head, cookie, errno(e), e.getMessage(), true);
        }
        if (head != null) {
            ctx.write(head, ctx.voidPromise());
        }
        ctx.flush();
    }

    /**
     * Writes {@code head} (chunk headers) and then the data at export offset {@code position}:
     * from {@code file} (at {@code base + position}) if given, the header first; else from the
     * device, with the header sent from the stage in front of the data (one send, not two).
     */
    private void writeRegion(ByteBuf head, FileChannel file, long base, long position, int length) {
        if (file != null) {
            ctx.write(head, ctx.voidPromise());
            sliceBytes += length;
            ctx.write(new FileSlice(this, file, base + position, length), ctx.voidPromise());
            return;
        }
        if (stage == null) {
            stage = new Stage();
        }
        DeviceRegion region = new DeviceRegion(this, head, export.export().device(), stage, position, length);
        sliceBytes += region.count();
        ctx.write(region, ctx.voidPromise());
    }

    /** A region the socket has taken (or the closed connection dropped): its bytes are no longer held. */
    void released(long bytes) {
        sliceBytes -= bytes;
        report();
    }

    private void write(ByteBuf in, long cookie, int flags, long offset, int length, boolean inRange) {
        if (export.export().readOnly() || !inRange) {
            in.skipBytes(length);
            replyNow(cookie, export.export().readOnly() ? EPERM : EINVAL);
            return;
        }
        if (length == 0) {
            replyNow(cookie, 0);
            return;
        }
        if (length <= inlineWriteLimit && (flags & CMD_FLAG_FUA) == 0) {
            MemorySegment src = segment(in, in.readerIndex(), length);
            if (src != null) {
                writeInline(cookie, offset, src);
                in.skipBytes(length);
                return;
            }
        }
        // A long payload stays where it was received: a slice of the receive buffer, kept until
        // the pipeline has written it. RequestCumulator then moves only the bytes after it to a
        // new buffer when more arrive, not the payload. A short one is copied into a buffer of
        // its own, so that it does not pin a receive buffer many times its size.
        ByteBuf payload = length >= RETAINED_WRITE_MIN ? in.retainedSlice(in.readerIndex(), length)
                : ctx.alloc().directBuffer(length).writeBytes(in, in.readerIndex(), length);
        MemorySegment src = segment(payload, 0, length);
        in.skipBytes(length);
        Pending p = pending(cookie, CMD_WRITE, flags, offset, length, payload);
        export.pipeline().write(offset, src, (flags & CMD_FLAG_FUA) != 0 ? BlockRequest.FUA : 0, this, p, cookie);
    }

    /**
     * Serves a write on the event loop, straight from the receive buffer (no copy of the payload,
     * no pipeline); the reply is flushed at once. Only writes without FUA: those are group-committed
     * by the pipeline.
     */
    private void writeInline(long cookie, long offset, MemorySegment src) {
        int error = 0;
        try {
            export.export().device().write(offset, src);
        } catch (RuntimeException e) {
            error = errno(e);
        }
        ctx.writeAndFlush(appendError(null, cookie, error, null, false), ctx.voidPromise());
    }

    private void submitSimple(BlockOp op, long cookie, long offset, long length, int pipelineFlags) {
        Pending p = pending(cookie, -1, 0, offset, 0, null);
        export.pipeline().submit(op, offset, length, null, pipelineFlags, null, this, p, cookie);
    }

    private void blockStatusRequest(long cookie, int flags, long offset, long length, boolean inRange) {
        if (!structured || !metaSelected) {
            replyNow(cookie, EINVAL); // no metadata context was negotiated
            return;
        }
        if (!inRange || length == 0) {
            replyError(cookie, EINVAL, "block status [" + offset + ", +" + length + ") is outside the export (size "
                    + exportSize + ")");
            return;
        }
        int max = (flags & CMD_FLAG_REQ_ONE) != 0 ? 1 : MAX_STATUS_EXTENTS;
        ByteBuf buf = ctx.alloc().directBuffer(CHUNK_HEADER + 4 + 8 * max);
        Pending p = pending(cookie, CMD_BLOCK_STATUS, flags, offset, length, buf);
        if (export.allocation() == null) { // everything is data: no I/O, answer now
            p.buf.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_BLOCK_STATUS)
                    .writeLong(cookie).writeInt(12).writeInt(BASE_ALLOCATION_ID).writeInt((int) length).writeInt(0);
            completedOnLoop(p);
            return;
        }
        export.pipeline().task(statusTask, offset, length, null, this, p, cookie);
    }

    private Pending pending(long cookie, int command, int flags, long offset, long length, ByteBuf buf) {
        Pending p = pool.pollFirst();
        if (p == null) {
            p = new Pending();
            p.connection = this;
        }
        p.cookie = cookie;
        p.command = command;
        p.flags = flags;
        p.offset = offset;
        p.length = length;
        p.buf = buf;
        p.bytes = command == CMD_WRITE ? length : buf == null ? 0 : buf.capacity();
        inflight++;
        inflightBytes += p.bytes;
        return p;
    }

    /** A view of {@code length} bytes of {@code buf} at {@code index}, or null if it is not one contiguous region. */
    private static MemorySegment segment(ByteBuf buf, int index, int length) {
        if (buf.hasArray()) {
            return MemorySegment.ofArray(buf.array()).asSlice(buf.arrayOffset() + index, length);
        }
        if (buf.nioBufferCount() == 1) {
            // nioBuffer, not internalNioBuffer: the latter may be shared by every buffer carved
            // from one chunk (adaptive allocator), and this runs on the event loop and the
            // pipeline thread. The two view objects are the only per-request allocation.
            return MemorySegment.ofBuffer(buf.nioBuffer(index, length));
        }
        return null;
    }

    // ---------------------------------------------------------------- pipeline side

    /** Runs on the pipeline's consumer thread. */
    @Override
    public void completed(BlockRequest request, Throwable failure) {
        Pending p = (Pending) request.attachment();
        if (failure != null) {
            p.error = errno(failure);
            p.message = failure.getMessage();
        }
        completed.offer(p);
        if (drainScheduled.compareAndSet(false, true)) {
            ctx.executor().execute(drainTask);
        }
    }

    private void completedOnLoop(Pending p) {
        completed.offer(p);
        if (drainScheduled.compareAndSet(false, true)) {
            ctx.executor().execute(drainTask);
        }
    }

    /** Task on the consumer thread: a structured read that sends holes as OFFSET_HOLE chunks. */
    private void holeAwareRead(BlockDevice device, BlockRequest request) {
        Pending p = (Pending) request.attachment();
        ByteBuf buf = p.buf;
        ReadRuns runs = new ReadRuns(export.allocation(), p.offset, p.offset + p.length, MAX_READ_CHUNKS);
        int lastChunk = -1;
        while (runs.advance()) {
            long pos = runs.start();
            int n = runs.length();
            lastChunk = buf.writerIndex();
            if (runs.hole()) {
                buf.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(0).writeShort(REPLY_TYPE_OFFSET_HOLE)
                        .writeLong(p.cookie).writeInt(12).writeLong(pos).writeInt(n);
            } else {
                buf.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(0).writeShort(REPLY_TYPE_OFFSET_DATA)
                        .writeLong(p.cookie).writeInt(8 + n).writeLong(pos);
                int at = buf.writerIndex();
                buf.writerIndex(at + n);
                device.read(pos, segment(buf, at, n));
            }
        }
        buf.setShort(lastChunk + 4, REPLY_FLAG_DONE);
    }

    /**
     * Task on the consumer thread: answers NBD_CMD_BLOCK_STATUS from the device's allocation
     * status (DATA: 0, ZERO: HOLE|ZERO), merging adjacent extents of the same kind, at most
     * {@code max} descriptors; the reply may cover less than the request, as the protocol allows.
     */
    private void blockStatus(BlockDevice device, BlockRequest request) {
        Pending p = (Pending) request.attachment();
        int max = (p.flags & CMD_FLAG_REQ_ONE) != 0 ? 1 : MAX_STATUS_EXTENTS;
        AllocationStatus allocation = export.allocation();
        ByteBuf buf = p.buf;
        int start = buf.writerIndex();
        buf.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_BLOCK_STATUS)
                .writeLong(p.cookie).writeInt(0).writeInt(BASE_ALLOCATION_ID);
        long end = p.offset + p.length;
        long pos = p.offset;
        int count = 0;
        int lastFlags = -1;
        while (pos < end) {
            Extent e = allocation.extentAt(pos, end - pos);
            int flags = e.kind() == Extent.Kind.DATA ? 0 : STATE_HOLE | STATE_ZERO;
            if (flags == lastFlags) { // lengths fit: together at most the request's 32-bit length
                int at = buf.writerIndex() - 8;
                buf.setInt(at, (int) (buf.getUnsignedInt(at) + e.length()));
            } else {
                if (count == max) {
                    break;
                }
                buf.writeInt((int) e.length()).writeInt(flags);
                count++;
                lastFlags = flags;
            }
            pos = e.end();
        }
        buf.setInt(start + 16, 4 + 8 * count);
    }

    // ---------------------------------------------------------------- replies (event loop)

    private void drain() {
        drainScheduled.set(false);
        ByteBuf small = null;
        int written = 0;
        Pending p;
        while ((p = completed.poll()) != null) {
            small = reply(p, small);
            inflight--;
            inflightBytes -= p.bytes;
            p.reset();
            pool.addFirst(p);
            written++;
        }
        if (small != null) {
            ctx.write(small, ctx.voidPromise());
        }
        if (written > 0) {
            ctx.flush();
        }
        updateFlow();
        if (disconnecting && inflight == 0) {
            closeAfterFlush();
        }
    }

    // ---------------------------------------------------------------- flow control (event loop)

    /** Bytes held for requests in flight and for replies the client has not read yet. */
    private long held() {
        ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
        return inflightBytes + sliceBytes + (outbound == null ? 0 : outbound.totalPendingWriteBytes());
    }

    /** Everything this connection buffers: {@link #held()} plus request bytes not decoded yet. */
    private long buffered() {
        return held() + (closed ? 0 : internalBuffer().readableBytes());
    }

    /** Stops decoding and reading from the socket until {@link #updateFlow} finds room again. */
    private void pause() {
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
        }
        watchOutbound();
    }

    /** While paused with replies queued, asks to be told when the socket has taken them all. */
    private void watchOutbound() {
        ChannelOutboundBuffer outbound = ctx.channel().unsafe().outboundBuffer();
        if (!outboundWatched && outbound != null && (outbound.totalPendingWriteBytes() > 0 || sliceBytes > 0)) {
            outboundWatched = true;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(outboundDrained); // completes after every earlier write
        }
    }

    /** After completions or a drained socket: resumes a paused connection when there is room. */
    private void updateFlow() {
        report();
        if (!paused || closed) {
            return;
        }
        long held = held();
        if (inflight < MAX_INFLIGHT / 2 && (held == 0 || held + internalBuffer().readableBytes() < bufferLimit / 2)) {
            paused = false;
            ctx.channel().config().setAutoRead(true);
            ctx.executor().execute(redecodeTask); // requests already received wait in the decoder
        } else {
            watchOutbound();
        }
    }

    /** Decodes what arrived before the pause (a task, never from inside a decode or a flush). */
    private void redecode() {
        if (closed || paused) {
            return;
        }
        try {
            channelRead(ctx, Unpooled.EMPTY_BUFFER);
        } catch (Exception e) {
            abort();
            return;
        }
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
    }

    /** Tells the server how much this connection buffers now. */
    private void report() {
        long now = closed ? inflightBytes : buffered();
        if (now != reported) {
            server.buffered(now - reported, now);
            reported = now;
        }
    }

    /** Writes the reply of {@code p}; small replies are appended to {@code small}, which is returned. */
    private ByteBuf reply(Pending p, ByteBuf small) {
        switch (p.command) {
            case CMD_READ, CMD_BLOCK_STATUS -> {
                if (p.error == 0) {
                    ctx.write(p.buf, ctx.voidPromise());
                    return small;
                }
                p.buf.release();
                return appendError(small, p.cookie, p.error, p.message, structured);
            }
            case CMD_WRITE -> p.buf.release();
            default -> { }
        }
        return appendError(small, p.cookie, p.error, p.message, false);
    }

    private ByteBuf appendError(ByteBuf small, long cookie, int error, String message, boolean chunk) {
        if (small == null) {
            small = ctx.alloc().directBuffer(512);
        }
        if (!chunk || error == 0) {
            if (chunk) {
                small.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_NONE)
                        .writeLong(cookie).writeInt(0);
            } else {
                small.writeInt(SIMPLE_REPLY_MAGIC).writeInt(error).writeLong(cookie);
            }
            return small;
        }
        byte[] text = message == null ? new byte[0] : message.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(text.length, 1024);
        small.writeInt(STRUCTURED_REPLY_MAGIC).writeShort(REPLY_FLAG_DONE).writeShort(REPLY_TYPE_ERROR)
                .writeLong(cookie).writeInt(6 + n).writeInt(error).writeShort(n).writeBytes(text, 0, n);
        return small;
    }

    /** Replies at once on the event loop (validation failures, empty requests). */
    private void replyNow(long cookie, int error) {
        ByteBuf buf = appendError(null, cookie, error, null, false);
        ctx.write(buf, ctx.voidPromise());
        needsFlush = true;
    }

    /** Like {@link #replyNow} for READ and BLOCK_STATUS, which need a structured error when negotiated. */
    private void replyError(long cookie, int error, String message) {
        ByteBuf buf = appendError(null, cookie, error, message, structured);
        ctx.write(buf, ctx.voidPromise());
        needsFlush = true;
    }

    private void closeAfterFlush() {
        closed = true;
        ctx.flush();
        ctx.close();
    }

    /** The errno an NBD client sees for a device failure. */
    static int errno(Throwable failure) {
        return switch (failure) {
            case BlockDeviceException.ReadOnly r -> EPERM;
            case BlockDeviceException.OutOfRange o -> EINVAL;
            case BlockDeviceException.Closed c -> ESHUTDOWN;
            case IllegalArgumentException i -> EINVAL;
            case OutOfMemoryError o -> ENOMEM;
            default -> EIO;
        };
    }
}
