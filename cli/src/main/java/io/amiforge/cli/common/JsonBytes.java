package io.amiforge.cli.common;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.Base64;
import java.util.Map;

/**
 * The {@code --json} form of a command that otherwise writes raw bytes to stdout ({@code fs cat},
 * {@code volume read}): one JSON object with the given fields and then the content field (named
 * by the command, {@code ContentBase64}), the bytes in base64. The bytes
 * are streamed as they are written to {@link #content()}, so memory stays constant whatever
 * their size. {@link #close()} ends the document.
 */
public final class JsonBytes implements AutoCloseable {

    private final PrintWriter out;
    private final OutputStream encoder;

    private JsonBytes(PrintWriter out) {
        this.out = out;
        this.encoder = Base64.getEncoder().wrap(new OutputStream() {
            @Override
            public void write(int b) {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                for (int i = 0; i < len; i++) {
                    out.write(b[off + i]);
                }
            }
        });
    }

    /** Starts the document on {@code out}: {@code fields} (in their order), then the field {@code contentField}. */
    public static JsonBytes begin(PrintWriter out, Map<String, Object> fields, String contentField) {
        StringBuilder head = new StringBuilder("{");
        fields.forEach((key, value) -> head.append(Json.write(key)).append(": ").append(Json.write(value)).append(", "));
        out.print(head.append(Json.write(contentField)).append(": \""));
        return new JsonBytes(out);
    }

    /** Where the bytes go (base64-encoded into the document). */
    public OutputStream content() {
        return encoder;
    }

    /** Ends the content and the document. */
    @Override
    public void close() throws IOException {
        encoder.close(); // the last group and its padding; the writer stays open
        out.println("\"}");
        out.flush();
    }
}
