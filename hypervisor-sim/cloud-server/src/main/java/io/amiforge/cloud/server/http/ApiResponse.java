package io.amiforge.cloud.server.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** An answer: HTTP status, content type, extra headers and the body. */
public record ApiResponse(int status, String contentType, Map<String, String> headers, ByteBuffer body) {

    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    /** A text answer (XML or JSON) in UTF-8. */
    public static ApiResponse text(int status, String contentType, String body) {
        return new ApiResponse(status, contentType, Map.of(), ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)));
    }

    /** This response with one more header. */
    public ApiResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new ApiResponse(status, contentType, more, body);
    }
}
