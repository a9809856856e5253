package io.amiforge.cloud.server.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes {@code application/x-www-form-urlencoded} text (a query string or a form body) strictly:
 * a bad percent escape or bytes that are not UTF-8 are {@code MalformedQueryString}, naming the
 * offending text and where it was.
 */
public final class FormDecoder {

    private FormDecoder() {
    }

    /** The parameters of {@code text}, each name with its values in order; {@code where} names the text in errors. */
    public static Map<String, List<String>> decode(String text, String where) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return out;
        }
        for (String pair : text.split("&", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = unescape(eq < 0 ? pair : pair.substring(0, eq), where);
            String value = eq < 0 ? "" : unescape(pair.substring(eq + 1), where);
            out.computeIfAbsent(name, _ -> new ArrayList<>()).add(value);
        }
        return out;
    }

    /** Percent-decodes {@code s} ('+' is a space), refusing bad escapes and non-UTF-8 bytes. */
    public static String unescape(String s, String where) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw malformed(where, "bad percent escape at character " + i + " of '" + clip(s) + "'");
                }
                bytes.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+') {
                bytes.write(' ');
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(b, 0, b.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw malformed(where, "'" + clip(s) + "' does not decode to UTF-8 text");
        }
    }

    private static ApiException malformed(String where, String what) {
        return new ApiException(400, "MalformedQueryString", "malformed " + where + ": " + what);
    }

    private static String clip(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}
