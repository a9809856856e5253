package io.amiforge.cloud.server;

import io.amiforge.cloud.server.http.ApiException;
import io.amiforge.cloud.server.http.ApiRequest;
import io.amiforge.cloud.server.http.ApiResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.ExecutorService;

/**
 * One connection's request handling: each aggregated request runs on a virtual thread (the
 * store blocks), and the connection reads nothing more until its answer is written, so answers
 * leave in request order and a client cannot queue unbounded work. Keep-alive follows HTTP/1.1;
 * an unreadable request is answered 400 and the connection closed; an idle one is closed.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private final RequestRouter router;
    private final ExecutorService workers;

    HttpHandler(RequestRouter router, ExecutorService workers) {
        super(false);
        this.router = router;
        this.workers = workers;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        String requestId = UUID.randomUUID().toString();
        if (request.decoderResult().isFailure()) {
            request.release();
            ApiException bad = new ApiException(400, "MalformedRequest", "the HTTP request cannot be parsed: "
                    + request.decoderResult().cause().getMessage());
            write(ctx, RequestRouter.unreadable("/", bad, requestId), requestId, false);
            return;
        }
        ctx.channel().config().setAutoRead(false);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        workers.execute(() -> {
            ApiResponse response;
            String uri = request.uri();
            int q = uri.indexOf('?');
            String path = q < 0 ? uri : uri.substring(0, q);
            ByteBuf body = contiguous(ctx, request.content());
            try {
                ApiRequest api = new ApiRequest(request.method().name(), path, q < 0 ? "" : uri.substring(q + 1),
                        request.headers(), body.nioBuffer());
                response = router.answer(api, requestId);
            } catch (ApiException e) {
                response = RequestRouter.unreadable(path, e, requestId);
            } finally {
                if (body != request.content()) {
                    body.release();
                }
                request.release();
            }
            write(ctx, response, requestId, keepAlive);
        });
    }

    /**
     * The body in one piece: the aggregator's composite of socket reads (an EBS direct block
     * arrives in dozens) copied once into a pooled direct buffer, where {@code nioBuffer()} on
     * the composite would allocate a fresh heap array per request; a body already in one piece
     * is returned as it is.
     */
    private static ByteBuf contiguous(ChannelHandlerContext ctx, ByteBuf content) {
        if (content.nioBufferCount() <= 1) {
            return content;
        }
        ByteBuf merged = ctx.alloc().directBuffer(content.readableBytes());
        for (ByteBuffer part : content.nioBuffers()) {
            merged.writeBytes(part); // part by part: writeBytes(composite) would merge it into a heap array first
        }
        return merged;
    }

    private static void write(ChannelHandlerContext ctx, ApiResponse response, String requestId, boolean keepAlive) {
        ByteBuffer body = response.body();
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(response.status()),
                Unpooled.wrappedBuffer(body));
        out.headers().set(HttpHeaderNames.CONTENT_TYPE, response.contentType());
        out.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.remaining());
        out.headers().set("x-amzn-RequestId", requestId);
        response.headers().forEach((k, v) -> out.headers().set(k, v));
        HttpUtil.setKeepAlive(out, keepAlive);
        var future = ctx.writeAndFlush(out);
        if (response.release() != null) {
            future.addListener(f -> response.released()); // written (or failed): the pooled body is free again
        }
        if (keepAlive) {
            future.addListener(f -> {
                if (f.isSuccess()) {
                    ctx.channel().config().setAutoRead(true);
                    ctx.read();
                } else {
                    ctx.close();
                }
            });
        } else {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close(); // a reset connection or a protocol error; nothing can be answered on it
    }
}
