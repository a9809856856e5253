package io.amiforge.cli.common;

import io.amiforge.blockdev.AmiforgeException;

/** A parsed {@code --listen HOST:PORT} value (IPv6 as {@code [::1]:PORT}); port 0 picks a free one. */
public record HostPort(String host, int port) {

    /** Parses {@code text}; {@code InvalidParameterValue} naming it otherwise. */
    public static HostPort parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw invalid(text);
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw invalid(text);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        try {
            int value = Integer.parseInt(port);
            if (value < 0 || value > 65535) {
                throw invalid(text);
            }
            return new HostPort(host, value);
        } catch (NumberFormatException e) {
            throw invalid(text);
        }
    }

    /** How the address is written in a URL ({@code [::1]} for IPv6). */
    public String urlHost() {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    private static AmiforgeException invalid(String text) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                "--listen '" + text + "' is not HOST:PORT (examples: 127.0.0.1:10809, [::1]:10809)");
    }
}
