package io.amiforge.nbd;

import static io.amiforge.nbd.NbdProtocol.*;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The negotiation phase of one connection (fixed newstyle): greeting, client flags, option
 * haggling. When the client picks an export (NBD_OPT_GO or NBD_OPT_EXPORT_NAME) this handler
 * replaces itself in the channel pipeline with an {@link NbdConnection} for the transmission
 * phase, handing over any bytes the client already sent after the option.
 *
 * <p>Anything the protocol cannot answer with an error reply (bad magic, unknown client
 * flags, an option over 64 KiB, too many options, an unknown name in NBD_OPT_EXPORT_NAME, a
 * client that does not finish within the negotiation timeout) closes the connection.
 */
final class NbdNegotiation extends ByteToMessageDecoder {

    private enum Phase { CLIENT_FLAGS, OPTIONS, DONE }

    private final NbdServer server;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.CLIENT_FLAGS;
    private boolean noZeroes;
    private boolean structured;
    private String metaExport;
    private boolean metaSelected;
    private int options;

    NbdNegotiation(NbdServer server) {
        this.server = server;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        ByteBuf greeting = ctx.alloc().buffer(18);
        greeting.writeLong(NBDMAGIC).writeLong(IHAVEOPT).writeShort(FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES);
        ctx.writeAndFlush(greeting);
        // a client that never finishes negotiating must not hold a connection for ever
        ctx.executor().schedule(() -> {
            if (phase != Phase.DONE) {
                abort();
            }
        }, server.negotiationTimeoutMillis(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        abort();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof io.netty.handler.timeout.IdleStateEvent) {
            abort(); // idle while negotiating
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    private void abort() {
        phase = Phase.DONE;
        ctx.close();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (phase) {
            case CLIENT_FLAGS -> decodeClientFlags(in);
            case OPTIONS -> decodeOption(in);
            case DONE -> in.skipBytes(in.readableBytes());
        }
    }

    private void decodeClientFlags(ByteBuf in) {
        if (in.readableBytes() < 4) {
            return;
        }
        int flags = in.readInt();
        if ((flags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            abort(); // the protocol says: drop the connection on unknown client flags
            return;
        }
        noZeroes = (flags & FLAG_C_NO_ZEROES) != 0;
        phase = Phase.OPTIONS;
    }

    private void decodeOption(ByteBuf in) {
        if (in.readableBytes() < 16) {
            return;
        }
        int start = in.readerIndex();
        long magic = in.getLong(start);
        int option = in.getInt(start + 8);
        long length = in.getUnsignedInt(start + 12);
        if (magic != IHAVEOPT || length > MAX_OPTION_LENGTH || ++options > MAX_OPTIONS) {
            abort();
            return;
        }
        if (in.readableBytes() < 16 + length) {
            options--; // not complete yet: counted when it is
            return;
        }
        in.skipBytes(16);
        ByteBuf data = in.readSlice((int) length);
        handleOption(option, data);
        if (phase != Phase.DONE) {
            ctx.flush();
        }
    }

    private void handleOption(int option, ByteBuf data) {
        switch (option) {
            case OPT_EXPORT_NAME -> {
                String name = string(data, data.readableBytes());
                ExportState chosen = server.find(name);
                if (chosen == null) {
                    abort(); // no way to report an error to NBD_OPT_EXPORT_NAME
                    return;
                }
                ByteBuf reply = ctx.alloc().buffer(noZeroes ? 10 : 134);
                reply.writeLong(chosen.size()).writeShort(chosen.transmissionFlags(structured));
                if (!noZeroes) {
                    reply.writeZero(124);
                }
                ctx.write(reply);
                enterTransmission(chosen, name);
            }
            case OPT_INFO, OPT_GO -> infoOrGo(option, data);
            case OPT_LIST -> {
                if (data.isReadable()) {
                    optionError(option, REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
                    return;
                }
                for (ExportState e : server.exportStates()) {
                    byte[] name = e.export().name().getBytes(StandardCharsets.UTF_8);
                    byte[] description = e.export().description().getBytes(StandardCharsets.UTF_8);
                    ByteBuf payload = ctx.alloc().buffer(4 + name.length + description.length);
                    payload.writeInt(name.length).writeBytes(name).writeBytes(description);
                    optionReply(option, REP_SERVER, payload);
                }
                optionReply(option, REP_ACK, null);
            }
            case OPT_ABORT -> {
                optionReply(option, REP_ACK, null);
                ctx.flush();
                abort();
            }
            case OPT_STRUCTURED_REPLY -> {
                if (data.isReadable()) {
                    optionError(option, REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
                    return;
                }
                structured = true;
                optionReply(option, REP_ACK, null);
            }
            case OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT -> metaContext(option, data);
            default -> optionError(option, REP_ERR_UNSUP, "option " + option + " is not supported");
        }
    }

    private void infoOrGo(int option, ByteBuf data) {
        if (data.readableBytes() < 6) {
            optionError(option, REP_ERR_INVALID, "option data too short: " + data.readableBytes() + " bytes");
            return;
        }
        long nameLength = data.readUnsignedInt();
        if (nameLength > MAX_STRING || nameLength + 2 > data.readableBytes()) {
            optionError(option, REP_ERR_INVALID, "export name length " + nameLength + " does not fit the option");
            return;
        }
        String name = string(data, (int) nameLength);
        int requests = data.readUnsignedShort();
        if (data.readableBytes() != 2 * requests) {
            optionError(option, REP_ERR_INVALID, requests + " information requests need " + 2 * requests
                    + " bytes, the option has " + data.readableBytes());
            return;
        }
        boolean wantName = false;
        boolean wantDescription = false;
        for (int i = 0; i < requests; i++) {
            int type = data.readUnsignedShort();
            wantName |= type == INFO_NAME;
            wantDescription |= type == INFO_DESCRIPTION;
        }
        ExportState chosen = server.find(name);
        if (chosen == null) {
            optionError(option, REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        ByteBuf info = ctx.alloc().buffer(12);
        info.writeShort(INFO_EXPORT).writeLong(chosen.size()).writeShort(chosen.transmissionFlags(structured));
        optionReply(option, REP_INFO, info);
        ByteBuf sizes = ctx.alloc().buffer(14);
        sizes.writeShort(INFO_BLOCK_SIZE).writeInt(1).writeInt(4096).writeInt(MAX_PAYLOAD);
        optionReply(option, REP_INFO, sizes);
        if (wantName) {
            byte[] bytes = chosen.export().name().getBytes(StandardCharsets.UTF_8);
            optionReply(option, REP_INFO, ctx.alloc().buffer(2 + bytes.length).writeShort(INFO_NAME).writeBytes(bytes));
        }
        if (wantDescription && !chosen.export().description().isEmpty()) {
            byte[] bytes = chosen.export().description().getBytes(StandardCharsets.UTF_8);
            optionReply(option, REP_INFO,
                    ctx.alloc().buffer(2 + bytes.length).writeShort(INFO_DESCRIPTION).writeBytes(bytes));
        }
        optionReply(option, REP_ACK, null);
        if (option == OPT_GO) {
            enterTransmission(chosen, name);
        }
    }

    private void metaContext(int option, ByteBuf data) {
        if (!structured) {
            optionError(option, REP_ERR_INVALID, "negotiate NBD_OPT_STRUCTURED_REPLY first");
            return;
        }
        if (data.readableBytes() < 8) {
            optionError(option, REP_ERR_INVALID, "option data too short: " + data.readableBytes() + " bytes");
            return;
        }
        long nameLength = data.readUnsignedInt();
        if (nameLength > MAX_STRING || nameLength + 4 > data.readableBytes()) {
            optionError(option, REP_ERR_INVALID, "export name length " + nameLength + " does not fit the option");
            return;
        }
        String name = string(data, (int) nameLength);
        long queries = data.readUnsignedInt();
        boolean base = queries == 0 && option == OPT_LIST_META_CONTEXT;
        for (long q = 0; q < queries; q++) { // bounded: each query takes at least 4 of <= 64 KiB bytes
            if (data.readableBytes() < 4) {
                optionError(option, REP_ERR_INVALID, "query " + q + " of " + queries + " is missing");
                return;
            }
            long length = data.readUnsignedInt();
            if (length > MAX_STRING || length > data.readableBytes()) {
                optionError(option, REP_ERR_INVALID, "query " + q + " length " + length + " does not fit the option");
                return;
            }
            String query = string(data, (int) length);
            base |= query.equals(BASE_ALLOCATION) || (option == OPT_LIST_META_CONTEXT && query.equals("base:"));
        }
        if (data.isReadable()) {
            optionError(option, REP_ERR_INVALID, data.readableBytes() + " bytes after the last query");
            return;
        }
        if (server.find(name) == null) {
            optionError(option, REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        if (base) {
            byte[] context = BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
            int id = option == OPT_SET_META_CONTEXT ? BASE_ALLOCATION_ID : 0;
            optionReply(option, REP_META_CONTEXT, ctx.alloc().buffer(4 + context.length).writeInt(id).writeBytes(context));
        }
        if (option == OPT_SET_META_CONTEXT) {
            metaExport = name;
            metaSelected = base;
        }
        optionReply(option, REP_ACK, null);
    }

    private void enterTransmission(ExportState chosen, String requestedName) {
        // contexts negotiated for another export do not apply to this one
        boolean allocation = metaSelected && metaExport != null && metaExport.equals(requestedName);
        phase = Phase.DONE;
        ctx.flush();
        ctx.pipeline().replace(this, "nbd", new NbdConnection(server, chosen, structured, allocation));
    }

    private void optionReply(int option, int type, ByteBuf payload) {
        int length = payload == null ? 0 : payload.readableBytes();
        ByteBuf header = ctx.alloc().buffer(20);
        header.writeLong(OPTION_REPLY_MAGIC).writeInt(option).writeInt(type).writeInt(length);
        ctx.write(header);
        if (payload != null) {
            ctx.write(payload);
        }
    }

    private void optionError(int option, int type, String message) {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        optionReply(option, type, ctx.alloc().buffer(text.length).writeBytes(text));
    }

    private static String string(ByteBuf data, int length) {
        String s = data.toString(data.readerIndex(), length, StandardCharsets.UTF_8);
        data.skipBytes(length);
        return s;
    }

}
