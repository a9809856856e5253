package io.amiforge.bench.api;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One client's keep-alive HTTP/1.1 connection for block requests, light enough that the
 * clients (in the server's JVM, on the same cores) cost little beside the server: the request
 * head is written with the body straight from the caller's buffer, and the answer is read into
 * one reused direct buffer, so a 512 KiB block costs the client no copy into fresh arrays (the
 * JDK's HttpClient made three per request, which the garbage collector then charged to the
 * whole process). Answers must carry Content-Length (the server always sends it). Not
 * thread-safe: one per client thread.
 */
final class BlockConnection implements AutoCloseable {

    private static final int HEAD_MAX = 64 * 1024;

    private final SocketChannel channel;
    private final ByteBuffer head = ByteBuffer.allocateDirect(HEAD_MAX);
    private final ByteBuffer body;

    BlockConnection(String host, int port, int maxBody) throws IOException {
        channel = SocketChannel.open(new InetSocketAddress(host, port));
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
        body = ByteBuffer.allocateDirect(maxBody);
    }

    /**
     * Sends one request ({@code headers} as signed, Host included; {@code payload} may be null)
     * and reads the answer; returns its status. The answer's body is {@link #body()} until the next call.
     */
    int exchange(String method, String target, Map<String, List<String>> headers, ByteBuffer payload) throws IOException {
        StringBuilder text = new StringBuilder(256).append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
        headers.forEach((name, values) -> values.forEach(v -> text.append(name).append(": ").append(v).append("\r\n")));
        text.append("Content-Length: ").append(payload == null ? 0 : payload.remaining()).append("\r\n\r\n");
        ByteBuffer requestHead = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.US_ASCII));
        ByteBuffer[] out = payload == null ? new ByteBuffer[] {requestHead} : new ByteBuffer[] {requestHead, payload.duplicate()};
        while (out[out.length - 1].hasRemaining() || requestHead.hasRemaining()) {
            channel.write(out);
        }
        head.clear();
        int end;
        while ((end = headEnd()) < 0) {
            if (!head.hasRemaining()) {
                throw new IOException("the answer's head is longer than " + HEAD_MAX + " bytes");
            }
            if (channel.read(head) < 0) {
                throw new EOFException("the server closed the connection before answering " + method + " " + target);
            }
        }
        String answer = StandardCharsets.US_ASCII.decode(head.duplicate().flip().limit(end)).toString();
        int status = Integer.parseInt(answer.substring(9, 12));
        long length = contentLength(answer);
        if (length > body.capacity()) {
            throw new IOException("an answer body of " + length + " bytes does not fit the " + body.capacity() + "-byte buffer");
        }
        body.clear().limit((int) length);
        ByteBuffer already = head.duplicate().flip().position(end + 4);
        if (already.remaining() > length) {
            throw new IOException("the server sent more than the answer's Content-Length");
        }
        body.put(already);
        while (body.hasRemaining()) {
            if (channel.read(body) < 0) {
                throw new EOFException("the server closed the connection in the middle of an answer body");
            }
        }
        body.flip();
        return status;
    }

    /** The last answer's body (read-only view, position 0). */
    ByteBuffer body() {
        return body.asReadOnlyBuffer();
    }

    /** Where the head read so far ends (the index of its blank line's CR), or -1. */
    private int headEnd() {
        for (int i = 0; i + 3 < head.position(); i++) {
            if (head.get(i) == '\r' && head.get(i + 1) == '\n' && head.get(i + 2) == '\r' && head.get(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static long contentLength(String answerHead) throws IOException {
        for (String line : answerHead.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        throw new IOException("the answer has no Content-Length: " + answerHead.lines().findFirst().orElse(""));
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
