package io.amiforge.cloud.server;

import io.amiforge.cloud.server.auth.AccessKey;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.http.ContentStreamProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4FamilyHttpSigner;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;

/**
 * Raw HTTP requests signed by the AWS SDK's own SigV4 signer (outside truth for the verifier),
 * in header or query form, sent over a plain socket so tests can send what no client library
 * would: bad escapes, bad JSON, wrong block sizes, oversized bodies.
 */
final class SignedHttp {

    private static final Set<String> SET_HERE = Set.of("host", "content-length", "connection");
    private final String endpoint;
    private final Clock signingClock;

    SignedHttp(String endpoint) {
        this(endpoint, Clock.systemUTC());
    }

    /** Signs every request at {@code signingClock}'s time (for servers on a test clock). */
    SignedHttp(String endpoint, Clock signingClock) {
        this.endpoint = endpoint;
        this.signingClock = signingClock;
    }

    /** An answer: status, headers and body text. */
    record Answer(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
        }
    }

    Answer send(AccessKey key, String service, String method, String pathAndQuery, Map<String, String> headers, byte[] body,
                boolean queryForm) {
        SdkHttpRequest.Builder request = SdkHttpRequest.builder().method(SdkHttpMethod.fromValue(method))
                .uri(URI.create(endpoint + pathAndQuery));
        headers.forEach(request::putHeader);
        SignedRequest signed = AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsCredentialsIdentity.create(key.accessKeyId(), key.secretAccessKey()))
                .request(request.build())
                .payload(ContentStreamProvider.fromByteArray(body))
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, service)
                .putProperty(AwsV4HttpSigner.REGION_NAME, "us-east-1")
                .putProperty(AwsV4HttpSigner.SIGNING_CLOCK, signingClock)
                .putProperty(AwsV4HttpSigner.AUTH_LOCATION, queryForm
                        ? AwsV4FamilyHttpSigner.AuthLocation.QUERY_STRING : AwsV4FamilyHttpSigner.AuthLocation.HEADER));
        URI uri = signed.request().getUri();
        String target = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        return sendRaw(method, target, signed.request().headers(), body);
    }

    /**
     * Sends one request over its own connection, as given: the target (path and query exactly as
     * written, a bad escape included), the headers, a Content-Length and the body.
     */
    Answer sendRaw(String method, String target, Map<String, List<String>> headers, byte[] body) {
        URI base = URI.create(endpoint);
        StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\n");
        head.append("Host: ").append(base.getAuthority()).append("\r\nConnection: close\r\n");
        headers.forEach((k, vs) -> {
            if (!SET_HERE.contains(k.toLowerCase(Locale.ROOT))) {
                vs.forEach(v -> head.append(k).append(": ").append(v).append("\r\n"));
            }
        });
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            try {
                out.write(head.toString().getBytes(StandardCharsets.UTF_8));
                out.write(body);
                out.flush();
            } catch (IOException e) {
                // the server may answer (413) and close before reading the whole body; its answer follows
            }
            String text = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int split = text.indexOf("\r\n\r\n");
            String[] lines = text.substring(0, split).split("\r\n");
            Map<String, String> answerHeaders = new HashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                answerHeaders.put(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
            }
            return new Answer(Integer.parseInt(lines[0].split(" ")[1]), answerHeaders, text.substring(split + 4));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An unsigned GET of {@code target} as written. */
    Answer get(String target) {
        return sendRaw("GET", target, Map.of(), new byte[0]);
    }

    /** A signed EC2 Query POST of {@code form} (already URL-encoded). */
    Answer ec2(AccessKey key, String form) {
        return send(key, "ec2", "POST", "/", Map.of("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                form.getBytes(StandardCharsets.UTF_8), false);
    }
}
