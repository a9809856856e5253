package io.amiforge.nbd;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately small, blocking NBD client for protocol tests: it writes exactly the bytes a
 * test asks for (including wrong ones) and parses replies field by field. Written from the
 * protocol document, independent of the server's code.
 */
final class NbdTestClient implements AutoCloseable {

    static final long IHAVEOPT = 0x49484156454F5054L;
    static final int REQUEST_MAGIC = 0x25609513;

    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    int handshakeFlags;
    boolean greeted;

    /** One option reply. */
    record OptionReply(int option, int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** One reply from the transmission phase: a simple reply, or one structured chunk. */
    record Reply(boolean structured, int flags, int type, long cookie, int error, byte[] payload) {
        boolean done() {
            return !structured || (flags & 1) != 0;
        }
    }

    NbdTestClient(int port) throws IOException {
        socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
    }

    /** Reads the greeting and sends the client flags. */
    NbdTestClient greet(int clientFlags) throws IOException {
        if (in.readLong() != 0x4e42444d41474943L || in.readLong() != IHAVEOPT) {
            throw new IOException("bad greeting");
        }
        handshakeFlags = in.readUnsignedShort();
        greeted = true;
        out.writeInt(clientFlags);
        out.flush();
        return this;
    }

    void sendOption(int option, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptionReply readOptionReply() throws IOException {
        long magic = in.readLong();
        if (magic != 0x3e889045565a9L) {
            throw new IOException("bad option reply magic " + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        byte[] data = new byte[in.readInt()];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    /** Sends an option and reads replies up to and including the first ACK or error. */
    List<OptionReply> option(int option, byte[] data) throws IOException {
        sendOption(option, data);
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = readOptionReply();
            replies.add(r);
            if (r.type() == 1 || r.type() < 0) {
                return replies;
            }
        }
    }

    static byte[] infoRequest(String name, int... infos) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        try {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            d.writeInt(n.length);
            d.write(n);
            d.writeShort(infos.length);
            for (int i : infos) {
                d.writeShort(i);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    static byte[] metaRequest(String name, String... queries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(bytes);
        try {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            d.writeInt(n.length);
            d.write(n);
            d.writeInt(queries.length);
            for (String q : queries) {
                byte[] b = q.getBytes(StandardCharsets.UTF_8);
                d.writeInt(b.length);
                d.write(b);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return bytes.toByteArray();
    }

    /** Full fixed-newstyle negotiation with NBD_OPT_GO; returns the transmission flags. */
    int go(String export, boolean structured, boolean allocation) throws IOException {
        if (!greeted) {
            greet(3);
        }
        if (structured) {
            expectAck(option(8, new byte[0]));
        }
        if (allocation) {
            expectAck(option(10, metaRequest(export, "base:allocation")));
        }
        List<OptionReply> replies = option(7, infoRequest(export));
        expectAck(replies);
        for (OptionReply r : replies) {
            if (r.type() == 3 && r.data().length == 12 && r.data()[0] == 0 && r.data()[1] == 0) {
                return ((r.data()[10] & 0xff) << 8) | (r.data()[11] & 0xff);
            }
        }
        throw new IOException("no NBD_INFO_EXPORT in " + replies);
    }

    static void expectAck(List<OptionReply> replies) throws IOException {
        if (replies.getLast().type() != 1) {
            throw new IOException("expected ACK, got type " + replies.getLast().type() + ": "
                    + replies.getLast().text());
        }
    }

    void request(int type, int flags, long cookie, long offset, long length, byte[] payload) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    /** Reads a simple reply (with {@code dataLength} bytes of data when its error is 0) or one structured chunk. */
    Reply reply(int dataLength) throws IOException {
        int magic = in.readInt();
        if (magic == 0x67446698) {
            int error = in.readInt();
            long cookie = in.readLong();
            byte[] data = new byte[error == 0 ? dataLength : 0];
            in.readFully(data);
            return new Reply(false, 0, 0, cookie, error, data);
        }
        if (magic == 0x668e33ef) {
            int flags = in.readUnsignedShort();
            int type = in.readUnsignedShort();
            long cookie = in.readLong();
            byte[] payload = new byte[in.readInt()];
            in.readFully(payload);
            int error = (type & 0x8000) != 0 ? java.nio.ByteBuffer.wrap(payload).getInt() : 0;
            return new Reply(true, flags, type, cookie, error, payload);
        }
        throw new IOException("bad reply magic " + Integer.toHexString(magic));
    }

    /** The next {@code n} bytes from the server, whatever they are. */
    byte[] readExactly(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** True when the server closed the connection (EOF or reset) within the socket timeout. */
    boolean closedByServer() {
        try {
            return in.read() == -1;
        } catch (EOFException | java.net.SocketException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
