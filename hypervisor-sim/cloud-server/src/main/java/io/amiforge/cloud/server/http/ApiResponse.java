package io.amiforge.cloud.server.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An answer: HTTP status, content type, extra headers and the body. {@code release}, if not
 * null, is run once the body has been written (or can no longer be): the body may be a pooled
 * buffer that goes back to its pool then, so nothing may read it afterwards.
 */
public record ApiResponse(int status, String contentType, Map<String, String> headers, ByteBuffer body, Runnable release) {

    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    /** An answer whose body needs no release. */
    public ApiResponse(int status, String contentType, Map<String, String> headers, ByteBuffer body) {
        this(status, contentType, headers, body, null);
    }

    /** A text answer (XML or JSON) in UTF-8. */
    public static ApiResponse text(int status, String contentType, String body) {
        return new ApiResponse(status, contentType, Map.of(), ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)));
    }

    /** This response with one more header. */
    public ApiResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiResponse(status, contentType, more, body, release);
    }

    /** Runs {@link #release} if there is one. */
    public void released() {
        if (release != null) {
            release.run();
        }
    }
}
