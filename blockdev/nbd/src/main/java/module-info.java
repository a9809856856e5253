/** A fixed-newstyle NBD server on Netty that serves any {@link io.amiforge.blockdev.BlockDevice}. */
module io.amiforge.nbd {
    requires transitive io.amiforge.blockdev;
    requires transitive io.amiforge.pipeline; // NbdServer.Builder.export(NbdExport, RequestPipeline)
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.common;
    requires io.netty.handler;
    requires io.netty.transport;
    requires io.netty.transport.classes.epoll;
    requires io.netty.transport.unix.common;

    exports io.amiforge.nbd;
}
