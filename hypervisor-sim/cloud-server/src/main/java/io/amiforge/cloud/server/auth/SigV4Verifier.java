package io.amiforge.cloud.server.auth;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Region;
import io.amiforge.cloud.server.http.ApiRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks AWS Signature Version 4 (AWS4-HMAC-SHA256) on a request, in both forms: the
 * {@code Authorization} header and the presigned query ({@code X-Amz-Algorithm},
 * {@code X-Amz-Credential}, {@code X-Amz-Date}, {@code X-Amz-Expires},
 * {@code X-Amz-SignedHeaders}, {@code X-Amz-Signature}). The canonical request is built the way
 * every service but S3 builds it (the path URI-encoded once more, the query sorted and
 * re-encoded). The key decides the account; the credential scope decides the region and must
 * name the expected service. The payload hash is {@code x-amz-content-sha256} when sent (it must
 * then be the body's hash, or {@code UNSIGNED-PAYLOAD} where the caller allows it), else the
 * body's hash. Requests more than {@link #MAX_SKEW} from the server's clock are expired.
 *
 * <p>Thread-safe. Derived signing keys are cached per key, day, region and service.
 */
public final class SigV4Verifier {

    /** The largest difference between the request's time and the server's that is accepted (AWS: 15 minutes). */
    public static final Duration MAX_SKEW = Duration.ofMinutes(15);

    private static final String ALGORITHM = "AWS4-HMAC-SHA256";
    private static final String UNSIGNED = "UNSIGNED-PAYLOAD";
    private static final DateTimeFormatter AMZ_DATE = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");
    private static final HexFormat HEX = HexFormat.of();

    private final AccessKeys keys;
    private final Clock clock;
    private final Map<String, byte[]> signingKeys = new ConcurrentHashMap<>();

    public SigV4Verifier(AccessKeys keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * Verifies {@code request} for {@code service} ("ec2", "ebs"); {@code allowUnsignedPayload}
     * says whether {@code UNSIGNED-PAYLOAD} is acceptable. Returns the caller, or throws
     * {@link AuthFailure}.
     */
    public Caller verify(ApiRequest request, String service, boolean allowUnsignedPayload) {
        String authorization = request.header("Authorization");
        boolean inQuery = authorization == null && request.queryParam("X-Amz-Signature") != null;
        Parts parts = inQuery ? fromQuery(request) : fromHeader(authorization);
        String[] scope = parts.credential.split("/", -1);
        if (scope.length != 5 || !"aws4_request".equals(scope[4]) || scope[0].isEmpty()) {
            throw malformed("Credential '" + parts.credential + "' is not ACCESS_KEY/DATE/REGION/SERVICE/aws4_request");
        }
        Instant when = requestTime(request, parts);
        String amzDate = AMZ_DATE.format(when.atOffset(ZoneOffset.UTC));
        if (!scope[1].equals(amzDate.substring(0, 8))) {
            throw new AuthFailure(AuthFailure.Reason.WRONG_SCOPE, "Credential should be scoped to a valid date: the scope date "
                    + scope[1] + " is not the request's date " + amzDate.substring(0, 8));
        }
        if (!service.equals(scope[3])) {
            throw new AuthFailure(AuthFailure.Reason.WRONG_SCOPE, "Credential should be scoped to correct service: '" + service
                    + "', not '" + scope[3] + "'");
        }
        try {
            Region.named(scope[2]);
        } catch (AmiforgeException e) {
            throw new AuthFailure(AuthFailure.Reason.WRONG_SCOPE, "Credential scope names an unknown region: " + e.getMessage());
        }
        checkTime(when, parts.expiresSeconds);
        if (!parts.signedHeaders.contains("host")) {
            throw malformed("SignedHeaders must include host (it has " + String.join(";", parts.signedHeaders) + ")");
        }
        String payloadHash = payloadHash(request, allowUnsignedPayload);
        String canonical = request.method() + '\n' + canonicalUri(request.rawPath()) + '\n'
                + canonicalQuery(request, inQuery) + '\n' + canonicalHeaders(request, parts.signedHeaders) + '\n'
                + String.join(";", parts.signedHeaders) + '\n' + payloadHash;
        String scopeText = scope[1] + '/' + scope[2] + '/' + scope[3] + "/aws4_request";
        String stringToSign = ALGORITHM + '\n' + amzDate + '\n' + scopeText + '\n'
                + HEX.formatHex(sha256(canonical.getBytes(StandardCharsets.UTF_8)));
        AccessKey key = keys.find(scope[0]).orElseThrow(() -> new AuthFailure(AuthFailure.Reason.UNKNOWN_KEY,
                "AWS was not able to validate the provided access credentials (access key " + scope[0] + " is unknown)"));
        byte[] signingKey = signingKey(key, scope[1], scope[2], scope[3]);
        byte[] expected = hmac(signingKey, stringToSign.getBytes(StandardCharsets.UTF_8));
        byte[] given;
        try {
            given = HEX.parseHex(parts.signature);
        } catch (IllegalArgumentException e) {
            throw malformed("Signature is not hexadecimal");
        }
        if (!MessageDigest.isEqual(expected, given)) {
            throw new AuthFailure(AuthFailure.Reason.SIGNATURE_MISMATCH, "The request signature we calculated does not match "
                    + "the signature you provided. Check your AWS Secret Access Key and signing method.");
        }
        return new Caller(key.account(), scope[2], key.accessKeyId());
    }

    /** The signature's fields; {@code expiresSeconds} is -1 unless a query signature gives X-Amz-Expires. */
    private record Parts(String credential, List<String> signedHeaders, String signature, long expiresSeconds, boolean inQuery) {
    }

    private static Parts fromHeader(String authorization) {
        if (authorization == null) {
            throw malformed("the request has no Authorization header and no X-Amz-Signature query parameter");
        }
        if (!authorization.startsWith(ALGORITHM + " ")) {
            throw malformed("Authorization header's algorithm is not " + ALGORITHM);
        }
        Map<String, String> fields = new HashMap<>();
        for (String part : authorization.substring(ALGORITHM.length() + 1).split(",")) {
            String p = part.strip();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw malformed("Authorization header component '" + p + "' is not NAME=VALUE");
            }
            fields.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return parts(fields.get("Credential"), fields.get("SignedHeaders"), fields.get("Signature"), -1, false,
                "Authorization header");
    }

    private static Parts fromQuery(ApiRequest request) {
        if (!ALGORITHM.equals(request.queryParam("X-Amz-Algorithm"))) {
            throw malformed("X-Amz-Algorithm must be " + ALGORITHM);
        }
        String expires = request.queryParam("X-Amz-Expires");
        long seconds = -1;
        if (expires != null) {
            try {
                seconds = Long.parseLong(expires);
            } catch (NumberFormatException e) {
                throw malformed("X-Amz-Expires '" + expires + "' is not a number of seconds");
            }
            if (seconds < 1 || seconds > 604800) {
                throw malformed("X-Amz-Expires " + seconds + " is not 1 to 604800 seconds");
            }
        }
        return parts(request.queryParam("X-Amz-Credential"), request.queryParam("X-Amz-SignedHeaders"),
                request.queryParam("X-Amz-Signature"), seconds, true, "query");
    }

    private static Parts parts(String credential, String signedHeaders, String signature, long expires, boolean inQuery,
                               String where) {
        if (credential == null || signedHeaders == null || signature == null) {
            throw malformed("the " + where + " lacks Credential, SignedHeaders or Signature");
        }
        List<String> headers = List.of(signedHeaders.split(";"));
        for (int i = 0; i < headers.size(); i++) {
            String h = headers.get(i);
            if (h.isEmpty() || !h.equals(h.toLowerCase(java.util.Locale.ROOT)) || i > 0 && headers.get(i - 1).compareTo(h) >= 0) {
                throw malformed("SignedHeaders '" + signedHeaders + "' is not a sorted list of lower-case header names");
            }
        }
        return new Parts(credential, headers, signature, expires, inQuery);
    }

    private static Instant requestTime(ApiRequest request, Parts parts) {
        String text = parts.inQuery ? request.queryParam("X-Amz-Date") : request.header("X-Amz-Date");
        if (text != null) {
            try {
                return LocalDateTime.parse(text, AMZ_DATE).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException e) {
                throw malformed("X-Amz-Date '" + text + "' is not yyyyMMddTHHmmssZ");
            }
        }
        String date = request.header("Date");
        if (date == null) {
            throw malformed("the request has neither X-Amz-Date nor Date");
        }
        try {
            return DateTimeFormatter.RFC_1123_DATE_TIME.parse(date, Instant::from);
        } catch (DateTimeParseException e) {
            throw malformed("Date '" + date + "' is not an RFC 1123 date");
        }
    }

    private void checkTime(Instant when, long expiresSeconds) {
        Instant now = clock.instant();
        if (when.isAfter(now.plus(MAX_SKEW))) {
            throw new AuthFailure(AuthFailure.Reason.EXPIRED, "Request is not yet valid: its time " + when
                    + " is more than " + MAX_SKEW.toMinutes() + " minutes after the server's " + now);
        }
        Instant limit = expiresSeconds >= 0 ? when.plusSeconds(expiresSeconds) : when.plus(MAX_SKEW);
        if (now.isAfter(limit)) {
            throw new AuthFailure(AuthFailure.Reason.EXPIRED, "Request has expired: signed at " + when
                    + (expiresSeconds >= 0 ? ", valid for " + expiresSeconds + " s" : ", more than " + MAX_SKEW.toMinutes()
                    + " minutes") + " before the server's time " + now);
        }
    }

    private static String payloadHash(ApiRequest request, boolean allowUnsigned) {
        String declared = request.header("x-amz-content-sha256");
        if (declared == null) {
            return HEX.formatHex(request.bodySha256());
        }
        if (UNSIGNED.equals(declared)) {
            if (!allowUnsigned) {
                throw new AuthFailure(AuthFailure.Reason.PAYLOAD_HASH_MISMATCH,
                        "UNSIGNED-PAYLOAD is not accepted by this API: sign the payload");
            }
            return declared;
        }
        if (!declared.equalsIgnoreCase(HEX.formatHex(request.bodySha256()))) {
            throw new AuthFailure(AuthFailure.Reason.PAYLOAD_HASH_MISMATCH,
                    "The provided 'x-amz-content-sha256' header does not match what was computed.");
        }
        return declared.toLowerCase(java.util.Locale.ROOT);
    }

    /** The path URI-encoded (again: every service but S3 double-encodes), '/' kept; empty is "/". */
    static String canonicalUri(String rawPath) {
        if (rawPath.isEmpty()) {
            return "/";
        }
        return uriEncode(rawPath, false);
    }

    private static String canonicalQuery(ApiRequest request, boolean presigned) {
        List<String[]> pairs = new ArrayList<>();
        for (var e : request.query().entrySet()) {
            if (presigned && e.getKey().equals("X-Amz-Signature")) {
                continue;
            }
            for (String v : e.getValue()) {
                pairs.add(new String[] {uriEncode(e.getKey(), true), uriEncode(v, true)});
            }
        }
        pairs.sort((a, b) -> a[0].equals(b[0]) ? a[1].compareTo(b[1]) : a[0].compareTo(b[0]));
        StringBuilder out = new StringBuilder();
        for (String[] p : pairs) {
            if (!out.isEmpty()) {
                out.append('&');
            }
            out.append(p[0]).append('=').append(p[1]);
        }
        return out.toString();
    }

    private static String canonicalHeaders(ApiRequest request, List<String> signed) {
        StringBuilder out = new StringBuilder();
        for (String name : signed) {
            List<String> values = request.headers().getAll(name);
            if (values.isEmpty()) {
                throw malformed("signed header '" + name + "' is not in the request");
            }
            out.append(name).append(':');
            for (int i = 0; i < values.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(values.get(i).strip().replaceAll(" +", " "));
            }
            out.append('\n');
        }
        return out.toString();
    }

    /** RFC 3986 percent-encoding of everything but unreserved characters (and '/' unless {@code slash}). */
    static String uriEncode(String text, boolean encodeSlash) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder out = new StringBuilder(bytes.length + 16);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
                    || c == '~' || c == '/' && !encodeSlash) {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return out.toString();
    }

    private byte[] signingKey(AccessKey key, String date, String region, String service) {
        String cacheKey = key.accessKeyId() + '/' + date + '/' + region + '/' + service;
        byte[] cached = signingKeys.get(cacheKey);
        if (cached != null) {
            return cached;
        }
        if (signingKeys.size() > 10_000) {
            signingKeys.clear();
        }
        byte[] k = hmac(("AWS4" + key.secretAccessKey()).getBytes(StandardCharsets.UTF_8), date.getBytes(StandardCharsets.UTF_8));
        k = hmac(k, region.getBytes(StandardCharsets.UTF_8));
        k = hmac(k, service.getBytes(StandardCharsets.UTF_8));
        k = hmac(k, "aws4_request".getBytes(StandardCharsets.UTF_8));
        signingKeys.put(cacheKey, k);
        return k;
    }

    static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }

    private static AuthFailure malformed(String what) {
        return new AuthFailure(AuthFailure.Reason.MISSING_OR_MALFORMED, what);
    }
}
