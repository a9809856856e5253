package io.amiforge.cloud.server.ec2;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Writes an EC2 Query response document: elements in order, text escaped for XML text (&amp; &lt; &gt;; and
 * characters XML 1.0 cannot carry replaced with U+FFFD), the root in the
 * {@code http://ec2.amazonaws.com/doc/2016-11-15/} namespace. Null values are left out, as
 * EC2 leaves out absent members.
 */
final class XmlWriter {

    static final String NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

    private final StringBuilder out = new StringBuilder(512);
    private final Deque<String> open = new ArrayDeque<>();

    private XmlWriter() {
        out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    }

    /** A response document whose root is {@code ActionResponse} with its {@code requestId}. */
    static XmlWriter response(String action, String requestId) {
        XmlWriter w = new XmlWriter();
        w.out.append('<').append(action).append("Response xmlns=\"").append(NAMESPACE).append("\">");
        w.open.push(action + "Response");
        w.element("requestId", requestId);
        return w;
    }

    /** An error document (EC2's errors are not namespaced). */
    static XmlWriter bare(String root) {
        XmlWriter w = new XmlWriter();
        w.start(root);
        return w;
    }

    XmlWriter start(String name) {
        out.append('<').append(name).append('>');
        open.push(name);
        return this;
    }

    XmlWriter end() {
        out.append("</").append(open.pop()).append('>');
        return this;
    }

    /** {@code <name>value</name>}, or nothing if {@code value} is null. */
    XmlWriter element(String name, Object value) {
        if (value == null) {
            return this;
        }
        out.append('<').append(name).append('>');
        escape(value.toString());
        out.append("</").append(name).append('>');
        return this;
    }

    private void escape(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '\t', '\n' -> out.append(c);
                case '\r' -> out.append("&#13;");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                        out.append(c).append(text.charAt(++i));
                    } else if (c < 0x20 || Character.isSurrogate(c) || c == 0xFFFE || c == 0xFFFF) {
                        out.append('\uFFFD');
                    } else {
                        out.append(c);
                    }
                }
            }
        }
    }

    /** The document, every open element closed. */
    String finish() {
        while (!open.isEmpty()) {
            end();
        }
        return out.toString();
    }
}
