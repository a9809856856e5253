package io.amiforge.cloud.server;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.server.auth.AccessKeys;
import io.amiforge.cloud.server.auth.SigV4Verifier;
import io.amiforge.cloud.server.ebs.EbsDirectApi;
import io.amiforge.cloud.server.ec2.Ec2QueryApi;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * An EC2 Query and EBS direct endpoint over a {@link Cloud}, for unmodified AWS clients (the AWS
 * CLI, the SDKs, Packer, coldsnap) configured with an endpoint URL and a key from
 * {@link AccessKeys}. HTTP/1.1 on Netty with keep-alive and many connections at once; every
 * request is checked with Signature Version 4 and acts as the key's account.
 *
 * <pre>{@code
 * try (Cloud cloud = Cloud.open(root, booter);
 *      CloudServer server = CloudServer.builder(cloud).listen("127.0.0.1", 0).build()) {
 *     int port = server.start();
 *     ...
 * }
 * }</pre>
 *
 * Request bodies above {@link Builder#maxBodyBytes} are refused (413) before they are read
 * whole. Closing stops listening and makes pending EBS direct uploads durable (a server started
 * on the same root continues them); it does not close the cloud.
 */
public final class CloudServer implements AutoCloseable {

    /** The default body limit: one EBS direct block and room for a large form. */
    public static final int DEFAULT_MAX_BODY = 2 * 1024 * 1024;

    private final Builder config;
    private final EbsDirectApi ebs;
    private final RequestRouter router;
    private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
    private EventLoopGroup group;
    private Channel listener;

    private CloudServer(Builder config) {
        this.config = config;
        this.ebs = new EbsDirectApi(config.cloud, config.clock);
        this.router = new RequestRouter(new SigV4Verifier(AccessKeys.of(config.cloud.root()), config.clock),
                new Ec2QueryApi(config.cloud, ebs), ebs);
    }

    /** A builder serving {@code cloud}. */
    public static Builder builder(Cloud cloud) {
        return new Builder(cloud);
    }

    /** How a server is set up. */
    public static final class Builder {
        private final Cloud cloud;
        private String host = "127.0.0.1";
        private int port = 8787;
        private int maxBodyBytes = DEFAULT_MAX_BODY;
        private Duration idleTimeout = Duration.ofMinutes(5);
        private Clock clock = Clock.systemUTC();

        private Builder(Cloud cloud) {
            this.cloud = cloud;
        }

        /** Where to listen; port 0 picks a free one ({@link #start()} returns it). */
        public Builder listen(String listenHost, int listenPort) {
            this.host = listenHost;
            this.port = listenPort;
            return this;
        }

        /** The largest request body accepted (default {@link #DEFAULT_MAX_BODY}; at least 1 MiB). */
        public Builder maxBodyBytes(int bytes) {
            if (bytes < 1024 * 1024) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "a body limit of " + bytes + " bytes cannot hold an EBS direct block (512 KiB) and a form");
            }
            this.maxBodyBytes = bytes;
            return this;
        }

        /** Connections idle this long are closed (default 5 minutes). */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        /** The clock signatures and block tokens are checked against (tests use a fixed one). */
        public Builder clock(Clock serverClock) {
            this.clock = serverClock;
            return this;
        }

        public CloudServer build() {
            return new CloudServer(this);
        }
    }

    /** Binds and starts serving; returns the port listened on. */
    public synchronized int start() {
        if (listener != null) {
            throw new IllegalStateException("already started");
        }
        group = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new IdleStateHandler(0, 0, config.idleTimeout.toSeconds(), TimeUnit.SECONDS))
                                .addLast(new HttpServerCodec())
                                .addLast(new HttpObjectAggregator(config.maxBodyBytes))
                                .addLast(new HttpHandler(router, workers));
                    }
                });
        try {
            listener = bootstrap.bind(config.host, config.port).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
            throw new AmiforgeException(AmiforgeException.Kind.FAILED, "ListenFailed",
                    "cannot listen on " + config.host + ":" + config.port + ": " + e.getMessage(), e);
        }
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public synchronized void close() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
            listener = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
        workers.shutdown();
        try {
            workers.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ebs.close();
    }
}
