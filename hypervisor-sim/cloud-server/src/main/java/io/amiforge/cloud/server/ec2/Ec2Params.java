package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.server.http.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parameters of one EC2 Query request (query string and form body together), with the
 * Query protocol's conventions: lists as {@code Name.1, Name.2, ...}, structures as
 * {@code Name.N.Member}, filters as {@code Filter.N.Name} / {@code Filter.N.Value.M}. A missing
 * required parameter is {@code MissingParameter}; a bad value {@code InvalidParameterValue},
 * naming the parameter.
 */
final class Ec2Params {

    private static final Pattern INDEXED = Pattern.compile("(\\d+)(?:\\.(.*))?");

    private final Map<String, List<String>> values;

    Ec2Params(Map<String, List<String>> values) {
        this.values = values;
    }

    /** The value of {@code name}, or null. */
    String get(String name) {
        List<String> v = values.get(name);
        return v == null || v.isEmpty() ? null : v.getFirst();
    }

    String required(String name) {
        String v = get(name);
        if (v == null || v.isEmpty()) {
            throw new ApiException(400, "MissingParameter", "The request must contain the parameter " + name);
        }
        return v;
    }

    boolean bool(String name, boolean otherwise) {
        String v = get(name);
        if (v == null) {
            return otherwise;
        }
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw invalid(name, v, "true or false");
        };
    }

    /** The integer {@code name} in {@code [min, max]}, or {@code otherwise} if absent. */
    int integer(String name, int min, int max, int otherwise) {
        String v = get(name);
        if (v == null) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(v);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw invalid(name, v, "an integer from " + min + " to " + max);
    }

    /** {@code prefix.1}, {@code prefix.2}, ... in index order. */
    List<String> list(String prefix) {
        return new ArrayList<>(members(prefix).values().stream().map(m -> m.get("")).filter(java.util.Objects::nonNull).toList());
    }

    /**
     * The structures {@code prefix.N.*}, by N ascending: each maps the member path after
     * {@code prefix.N.} to its value ("" for {@code prefix.N} itself).
     */
    Map<Integer, Map<String, String>> members(String prefix) {
        Map<Integer, Map<String, String>> out = new TreeMap<>();
        String dotted = prefix + ".";
        for (var e : values.entrySet()) {
            if (!e.getKey().startsWith(dotted) || e.getValue().isEmpty()) {
                continue;
            }
            Matcher m = INDEXED.matcher(e.getKey().substring(dotted.length()));
            if (!m.matches()) {
                continue;
            }
            int index;
            try {
                index = Integer.parseInt(m.group(1));
            } catch (NumberFormatException ex) {
                throw invalid(e.getKey(), e.getValue().getFirst(), "a list index below 2^31");
            }
            out.computeIfAbsent(index, _ -> new LinkedHashMap<>()).put(m.group(2) == null ? "" : m.group(2), e.getValue().getFirst());
        }
        return out;
    }

    /** {@code Filter.N.Name} with its {@code Filter.N.Value.M}, by name. */
    Map<String, List<String>> filters() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (var member : members("Filter").entrySet()) {
            String name = member.getValue().get("Name");
            if (name == null) {
                throw new ApiException(400, "MissingParameter", "The request must contain the parameter Filter." + member.getKey() + ".Name");
            }
            List<String> vals = out.computeIfAbsent(name, _ -> new ArrayList<>());
            new TreeMap<>(member.getValue()).forEach((k, v) -> {
                if (k.startsWith("Value.")) {
                    vals.add(v);
                }
            });
        }
        return out;
    }

    static ApiException invalid(String name, String value, String expected) {
        return new ApiException(400, "InvalidParameterValue", "Value (" + value + ") for parameter " + name
                + " is invalid: expected " + expected);
    }
}
