package io.amiforge.cloud.server.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request as the APIs see it: method, the path and query exactly as sent (SigV4 signs
 * those), the decoded query parameters, the headers and the body (read-only, valid only while
 * the request is handled). The body's SHA-256 is computed at most once and shared by the
 * signature check and EBS direct's checksum check.
 */
public final class ApiRequest {

    private final String method;
    private final String rawPath;
    private final String rawQuery;
    private final Map<String, List<String>> query;
    private final HttpHeaders headers;
    private final ByteBuffer body;
    private byte[] sha256;

    public ApiRequest(String method, String rawPath, String rawQuery, HttpHeaders headers, ByteBuffer body) {
        this.method = method;
        this.rawPath = rawPath;
        this.rawQuery = rawQuery == null ? "" : rawQuery;
        this.headers = headers;
        this.body = body.asReadOnlyBuffer();
        this.query = Collections.unmodifiableMap(FormDecoder.decode(this.rawQuery, "query string"));
    }

    public String method() {
        return method;
    }

    /** The path as sent, still percent-encoded. */
    public String rawPath() {
        return rawPath;
    }

    /** The query string as sent (without '?'), empty if none. */
    public String rawQuery() {
        return rawQuery;
    }

    /** The decoded query parameters, each name with its values in the order sent. */
    public Map<String, List<String>> query() {
        return query;
    }

    /** The first value of query parameter {@code name}, or null. */
    public String queryParam(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    public HttpHeaders headers() {
        return headers;
    }

    /** The first value of header {@code name} (case-insensitive), or null. */
    public String header(String name) {
        return headers.get(name);
    }

    /** The body, a fresh read-only view positioned at 0. */
    public ByteBuffer body() {
        return body.duplicate();
    }

    public int bodyLength() {
        return body.remaining();
    }

    /** The body as UTF-8 text. */
    public String bodyText() {
        return StandardCharsets.UTF_8.decode(body()).toString();
    }

    /** The SHA-256 of the body, computed on first use. */
    public byte[] bodySha256() {
        if (sha256 == null) {
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                digest.update(body());
                sha256 = digest.digest();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-256", e);
            }
        }
        return sha256.clone();
    }

    /** Query parameters and form fields in one map (the EC2 Query API accepts either). */
    public Map<String, List<String>> queryAndForm(Map<String, List<String>> form) {
        Map<String, List<String>> all = new LinkedHashMap<>();
        query.forEach((k, v) -> all.computeIfAbsent(k, _ -> new ArrayList<>()).addAll(v));
        form.forEach((k, v) -> all.computeIfAbsent(k, _ -> new ArrayList<>()).addAll(v));
        return all;
    }
}
