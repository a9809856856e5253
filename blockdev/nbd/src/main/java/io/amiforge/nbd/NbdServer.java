package io.amiforge.nbd;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.pipeline.RequestPipeline;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An NBD server (fixed newstyle protocol) exporting {@link BlockDevice}s by name, built on
 * Netty. Each export gets one {@link RequestPipeline}; every connection to it submits its
 * requests there, so device I/O never runs on an event loop, and FLUSH on any connection
 * covers writes completed on all of them (the server advertises NBD_FLAG_CAN_MULTI_CONN).
 *
 * <pre>{@code
 * NbdServer server = NbdServer.builder().listen("127.0.0.1", 0)
 *         .export("disk", device, false, "root volume").build();
 * int port = server.start();
 * ...
 * server.close();
 * }</pre>
 *
 * The server does not own the devices: {@link #close()} stops serving and drains in-flight
 * requests, and the caller flushes and closes the devices.
 *
 * <p>Hostile clients are bounded: READ and WRITE carry at most 32 MiB (more is EINVAL, then the
 * connection closes); each connection buffers at most about {@link Builder#connectionBufferLimit}
 * bytes (or one 32 MiB request) before it stops reading from its socket; at most
 * {@link Builder#maxConnections} connections are open (more are closed as soon as they are
 * accepted); a connection with nothing in flight from which nothing was read for
 * {@link Builder#idleTimeout} is closed. So the memory the server holds for clients is at most
 * about {@code maxConnections * max(connectionBufferLimit, 32 MiB)}.
 */
public final class NbdServer implements AutoCloseable {

    /**
     * Default {@link Builder#readThreads}: one, not the pipeline's three. A batch of NBD reads is
     * mostly page-cache copies of a few microseconds, and waking three helpers per batch cost
     * more than they saved (nbdcopy streaming reads 2.5-4x faster with one, on 2 cores).
     */
    public static final int DEFAULT_READ_THREADS = 1;

    /**
     * Default {@link Builder#inlineReadLimit}: 64 KiB, every read shorter than the streamed ones
     * is served on the event loop that decoded it. On the idle 2-core machine, random 4 KiB reads
     * at depth 16 ran 1.0-1.08x nbdkit this way against 0.8x through the pipeline, whose two thread
     * hops per request cost more than the page-cache copy they move off the event loop. (On cores
     * loaded by other work the pipeline path had measured better: docs/nbd.md.)
     */
    public static final int DEFAULT_INLINE_READ_LIMIT = 64 * 1024;

    /**
     * Default {@link Builder#inlineWriteLimit}: 32 MiB, every write without FUA is applied on the
     * event loop from the receive buffer, saving the payload copy and the thread hops (random
     * 4 KiB writes 0.66-0.73x nbdkit through the pipeline, 0.95-1.0x inline). Long writes sent
     * to the pipeline instead measured slower still under nbdcopy (the server's CPU time per GiB
     * doubled: the pipeline merges sequential writes by copying them).
     */
    public static final int DEFAULT_INLINE_WRITE_LIMIT = 32 << 20;

    /**
     * Default {@link Builder#pipelineWait}, unless the system property
     * {@code amiforge.pipeline.wait} names another: the consumer blocks at once instead of
     * spinning. Profiled under fio at depth 16 (perf, 2 cores), the pipeline's spinning default
     * took 43 % of the server's CPU samples, CPU the event loops and the client needed.
     */
    public static final RequestPipeline.Wait DEFAULT_WAIT = RequestPipeline.Wait.BLOCKING;

    /** Default {@link Builder#connectionBufferLimit}: 32 MiB. */
    public static final long DEFAULT_CONNECTION_BUFFER_LIMIT = 32L << 20;

    private final String host;
    private final int requestedPort;
    private final int ioThreads;
    private final long negotiationTimeoutMillis;
    private final int maxConnections;
    private final long idleTimeoutMillis;
    private final long connectionBufferLimit;
    private final int readThreads;
    private final int inlineReadLimit;
    private final int inlineWriteLimit;
    private final boolean sendfile;
    private final boolean streamReads;
    private final LongAdder readsFromFile = new LongAdder();
    private final RequestPipeline.Wait pipelineWait;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong buffered = new AtomicLong();
    private final AtomicLong peakBuffered = new AtomicLong();
    private final Map<String, ExportState> exports = new LinkedHashMap<>();
    private final List<NbdExport> exportList;
    private final Map<String, RequestPipeline> sharedPipelines;
    private final ChannelGroup channels = new DefaultChannelGroup("nbd", GlobalEventExecutor.INSTANCE);
    private EventLoopGroup group;
    private boolean epoll;
    private Channel listener;
    private volatile boolean closed;

    private NbdServer(Builder b) {
        this.host = b.host;
        this.requestedPort = b.port;
        this.ioThreads = b.ioThreads;
        this.negotiationTimeoutMillis = b.negotiationTimeoutMillis;
        this.maxConnections = b.maxConnections;
        this.idleTimeoutMillis = b.idleTimeoutMillis;
        this.connectionBufferLimit = b.connectionBufferLimit;
        this.readThreads = b.readThreads;
        this.inlineReadLimit = b.inlineReadLimit;
        this.inlineWriteLimit = b.inlineWriteLimit;
        this.sendfile = b.sendfile;
        this.streamReads = b.streamReads;
        this.pipelineWait = b.pipelineWait != null ? b.pipelineWait : RequestPipeline.Wait.configured(DEFAULT_WAIT);
        this.exportList = List.copyOf(b.exports.values());
        this.sharedPipelines = Map.copyOf(b.pipelines);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts the pipelines and binds the listening socket.
     *
     * @return the bound TCP port (useful when the builder asked for port 0)
     * @throws AmiforgeException {@code AddressInUse} / {@code InvalidParameterValue} if it cannot listen
     */
    public synchronized int start() {
        if (listener != null) {
            return port();
        }
        if (closed) {
            throw new IllegalStateException("NBD server was closed");
        }
        epoll = useEpoll(); // before anything starts: an unknown transport leaves nothing running
        for (NbdExport e : exportList) {
            RequestPipeline shared = sharedPipelines.get(e.name());
            exports.put(e.name(), new ExportState(e, shared != null ? shared
                    : RequestPipeline.start(e.device(), RequestPipeline.DEFAULT_SLOTS, RequestPipeline.DEFAULT_MERGE_LIMIT,
                            readThreads, pipelineWait)));
        }
        group = new MultiThreadIoEventLoopGroup(ioThreads, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap().group(group)
                .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (open.incrementAndGet() > maxConnections) {
                            open.decrementAndGet();
                            refused.incrementAndGet();
                            ch.close(); // at once, before the greeting: the client sees end of stream
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        channels.add(ch);
                        if (idleTimeoutMillis > 0) {
                            ch.pipeline().addLast("idle",
                                    new IdleStateHandler(idleTimeoutMillis, 0, 0, TimeUnit.MILLISECONDS));
                        }
                        ch.pipeline().addLast("nbd", new NbdNegotiation(NbdServer.this));
                    }
                });
        try {
            listener = bootstrap.bind(host, requestedPort).syncUninterruptibly().channel();
        } catch (Exception e) {
            shutdown();
            String what = e instanceof java.net.BindException ? "AddressInUse" : "InvalidParameterValue";
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, what,
                    "cannot listen on " + host + ":" + requestedPort + ": " + e.getMessage(), e);
        }
        return port();
    }

    /**
     * Whether to use the native epoll transport: the system property {@code amiforge.nbd.transport}
     * says {@code epoll} (required), {@code nio}, or {@code auto} (the default: epoll where its
     * native library loads, as on Linux x86_64, else NIO).
     */
    private static boolean useEpoll() {
        String t = System.getProperty("amiforge.nbd.transport", "auto");
        return switch (t) {
            case "nio" -> false;
            case "epoll" -> {
                Epoll.ensureAvailability();
                yield true;
            }
            case "auto" -> Epoll.isAvailable();
            default -> throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "system property amiforge.nbd.transport is '" + t + "'; use auto, epoll or nio");
        };
    }

    /** The network transport in use: {@code epoll} or {@code nio}; only after {@link #start()}. */
    public String transport() {
        if (group == null) {
            throw new IllegalStateException("NBD server is not started");
        }
        return epoll ? "epoll" : "nio";
    }

    /** The bound port; only after {@link #start()}. */
    public int port() {
        return localAddress().getPort();
    }

    /** The bound address; only after {@link #start()}. */
    public InetSocketAddress localAddress() {
        if (listener == null) {
            throw new IllegalStateException("NBD server is not started");
        }
        return (InetSocketAddress) listener.localAddress();
    }

    /** The exports, in the order they were added. */
    public List<NbdExport> exports() {
        return exportList;
    }

    /** Open client connections right now. */
    public int connectionCount() {
        return channels.size();
    }

    /** Connections refused because {@link Builder#maxConnections} were open. */
    public long refusedConnections() {
        return refused.get();
    }

    /**
     * Bytes all connections buffer right now: request bytes received and not yet decoded,
     * payloads and reply buffers of requests in flight, replies not yet taken by the socket.
     */
    public long bufferedBytes() {
        return buffered.get();
    }

    /** The most any one connection has buffered at once since the server started. */
    public long peakConnectionBufferedBytes() {
        return peakBuffered.get();
    }

    long negotiationTimeoutMillis() {
        return negotiationTimeoutMillis;
    }

    int inlineReadLimit() {
        return inlineReadLimit;
    }

    int inlineWriteLimit() {
        return inlineWriteLimit;
    }

    boolean streamReads() {
        return streamReads;
    }

    boolean sendfile() {
        return sendfile;
    }

    /** Counts a read answered from a file-backed device's file ({@link FileSlice}). */
    void sentFromFile() {
        readsFromFile.increment();
    }

    /** Reads answered with sendfile from a {@link io.amiforge.blockdev.FileBacked} device's file. */
    public long readsSentFromFile() {
        return readsFromFile.sum();
    }

    long connectionBufferLimit() {
        return connectionBufferLimit;
    }

    /** A connection's buffered bytes changed by {@code delta} to {@code now}. */
    void buffered(long delta, long now) {
        buffered.addAndGet(delta);
        if (now > peakBuffered.get()) {
            peakBuffered.accumulateAndGet(now, Math::max);
        }
    }

    ExportState find(String name) {
        ExportState e = exports.get(name);
        if (e == null && name.isEmpty() && exports.size() == 1) {
            return exports.values().iterator().next(); // the "default" export
        }
        return closed ? null : e;
    }

    Collection<ExportState> exportStates() {
        return exports.values();
    }

    /**
     * Stops listening, closes every connection, waits for requests already in the pipelines to
     * complete, and stops the pipelines. Idempotent. Does not flush or close the devices.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        shutdown();
    }

    private void shutdown() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        channels.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
        for (ExportState e : exports.values()) {
            if (!sharedPipelines.containsKey(e.export().name())) {
                e.pipeline().close(); // a shared pipeline belongs to whoever passed it in
            }
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Override
    public String toString() {
        return "NbdServer(" + host + ":" + (listener == null ? requestedPort : port()) + ", exports "
                + exports.keySet() + ")";
    }

    /** Collects the listen address and the exports. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 10809;
        private int ioThreads = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
        private long negotiationTimeoutMillis = 30_000;
        private int maxConnections = 64;
        private long idleTimeoutMillis = 300_000;
        private long connectionBufferLimit = DEFAULT_CONNECTION_BUFFER_LIMIT;
        private int readThreads = DEFAULT_READ_THREADS;
        private int inlineReadLimit = DEFAULT_INLINE_READ_LIMIT;
        private int inlineWriteLimit = DEFAULT_INLINE_WRITE_LIMIT;
        private boolean sendfile = false;
        private boolean streamReads = true;
        private RequestPipeline.Wait pipelineWait;
        private final Map<String, NbdExport> exports = new LinkedHashMap<>();
        private final Map<String, RequestPipeline> pipelines = new LinkedHashMap<>();

        private Builder() {
        }

        /** Address to listen on (default 127.0.0.1:10809); port 0 picks a free port. */
        public Builder listen(String host, int port) {
            if (port < 0 || port > 65535) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "port " + port + " is outside 0..65535");
            }
            this.host = Objects.requireNonNull(host, "host");
            this.port = port;
            return this;
        }

        /**
         * Helper threads each export's own pipeline uses to run a batch of reads concurrently
         * (default {@value NbdServer#DEFAULT_READ_THREADS}; 0: the pipeline's consumer reads alone).
         * Not used for exports added with a pipeline of their own.
         */
        public Builder readThreads(int threads) {
            if (threads < 0 || threads > 64) {
                throw new IllegalArgumentException("read threads " + threads + " is outside [0, 64]");
            }
            this.readThreads = threads;
            return this;
        }

        /**
         * Reads of at most this many bytes (default {@value NbdServer#DEFAULT_INLINE_READ_LIMIT}:
         * none) are served by the event loop that decoded them: the device is read straight into
         * the reply buffer there and the reply is flushed at once.
         * Larger reads, hole-aware structured reads and every other command go through the
         * export's pipeline. Such a read may pass a write still in the pipeline; the protocol
         * gives requests in flight no order (a client that needs one waits for the write's reply,
         * after which every read sees it). A read that blocks (a page-cache miss) holds up the
         * other connections of that event loop meanwhile: use 0 for devices on slow storage.
         */
        public Builder inlineReadLimit(int bytes) {
            if (bytes < 0 || bytes > NbdProtocol.MAX_PAYLOAD) {
                throw new IllegalArgumentException("inline read limit " + bytes + " is outside [0, 32 MiB]");
            }
            this.inlineReadLimit = bytes;
            return this;
        }

        /**
         * Writes of at most this many bytes without FUA (default
         * {@value NbdServer#DEFAULT_INLINE_WRITE_LIMIT}) are applied by the event loop that
         * decoded them, straight from the receive buffer, and answered at once. Larger writes,
         * FUA writes and every other command go through the export's pipeline. As with
         * {@link #inlineReadLimit}, a write that blocks (the kernel throttling dirty pages, a slow
         * device) holds up the other connections of that event loop meanwhile.
         */
        public Builder inlineWriteLimit(int bytes) {
            if (bytes < 0 || bytes > NbdProtocol.MAX_PAYLOAD) {
                throw new IllegalArgumentException("inline write limit " + bytes + " is outside [0, 32 MiB]");
            }
            this.inlineWriteLimit = bytes;
            return this;
        }

        /**
         * Whether long reads (64 KiB and more) of exports whose device is
         * {@link io.amiforge.blockdev.FileBacked} (a raw file) are sent from the file with
         * {@code sendfile}, no copy in this process (default false; docs/nbd.md): over loopback
         * the client then copies from page-cache lines the CPU has not touched, and nbdcopy read
         * 0.84x of the {@link #streamReads} path. It may pay over a real network.
         * The bytes leave the page cache when the socket takes them: a read error after the reply
         * header went out (the file shrunk or the device closed) closes the connection.
         */
        public Builder sendfile(boolean enabled) {
            this.sendfile = enabled;
            return this;
        }

        /**
         * Whether reads of 64 KiB and more are answered on the event loop by reading the device
         * only as the socket takes the data, through one 260 KiB stage per connection (default
         * true; docs/nbd.md), instead of into a buffer of the read's size in the pipeline.
         * Reads of file-backed devices are sent by {@link #sendfile} instead when that is on.
         */
        public Builder streamReads(boolean enabled) {
            this.streamReads = enabled;
            return this;
        }

        /**
         * How each export's own pipeline waits for requests (default {@link NbdServer#DEFAULT_WAIT},
         * or what the system property {@code amiforge.pipeline.wait} names). Not used for exports
         * added with a pipeline of their own.
         */
        public Builder pipelineWait(RequestPipeline.Wait wait) {
            this.pipelineWait = Objects.requireNonNull(wait, "wait");
            return this;
        }

        /** Event-loop threads (default: up to 2). */
        public Builder ioThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("io threads " + threads + " < 1");
            }
            this.ioThreads = threads;
            return this;
        }

        /** Closes connections that have not finished negotiating after this long (default 30 s). */
        public Builder negotiationTimeout(java.time.Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("negotiation timeout " + timeout + " is not positive");
            }
            this.negotiationTimeoutMillis = timeout.toMillis();
            return this;
        }

        /** At most this many open connections (default 64); more are closed as soon as they are accepted. */
        public Builder maxConnections(int connections) {
            if (connections < 1) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "maximum connections " + connections + " is not at least 1");
            }
            this.maxConnections = connections;
            return this;
        }

        /**
         * Closes a connection with nothing in flight from which nothing was read for this long
         * (default 300 s); {@link java.time.Duration#ZERO} never closes idle connections.
         */
        public Builder idleTimeout(java.time.Duration timeout) {
            if (timeout.isNegative()) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "idle timeout " + timeout + " is negative");
            }
            this.idleTimeoutMillis = timeout.toMillis();
            return this;
        }

        /**
         * Bytes one connection may buffer (received requests, in-flight payloads and reply
         * buffers, unread replies) before it stops reading from its socket (default 32 MiB). A
         * single request is admitted whenever nothing else is held, so a 32 MiB READ or WRITE
         * works under any limit.
         */
        public Builder connectionBufferLimit(long bytes) {
            if (bytes < 4096) {
                throw new IllegalArgumentException("connection buffer limit " + bytes + " is under 4096 bytes");
            }
            this.connectionBufferLimit = bytes;
            return this;
        }

        /** Adds an export (see {@link NbdExport}). */
        public Builder export(String name, BlockDevice device, boolean readOnly, String description) {
            return export(new NbdExport(name, device, readOnly, description));
        }

        /** Adds an export; its name must be new. */
        public Builder export(NbdExport export) {
            if (exports.putIfAbsent(export.name(), export) != null) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "export name '" + export.name() + "' is given twice");
            }
            return this;
        }

        /**
         * Adds an export whose pipelined I/O goes through an existing pipeline (for instance one
         * the simulator's disk also uses), so both front ends share its ordering and its FLUSH.
         * Requests served on the event loop ({@link #inlineReadLimit}, {@link #inlineWriteLimit},
         * {@link #streamReads}) do not pass through it: they are done before they are answered,
         * so what either front end has seen answered the other sees; set those to 0 / false when
         * requests in flight from both must also keep one order. The pipeline must run over
         * {@code export.device()}; the server does not close it.
         */
        public Builder export(NbdExport export, RequestPipeline pipeline) {
            if (pipeline.device() != export.device()) {
                throw new IllegalArgumentException("pipeline of " + pipeline.device().name()
                        + " does not run over the device of export '" + export.name() + "'");
            }
            export(export);
            pipelines.put(export.name(), pipeline);
            return this;
        }

        public NbdServer build() {
            if (exports.isEmpty()) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "an NBD server needs at least one export");
            }
            return new NbdServer(this);
        }
    }
}
