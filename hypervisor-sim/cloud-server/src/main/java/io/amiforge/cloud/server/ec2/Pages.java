package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.server.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Pagination ({@code MaxResults}, {@code NextToken}) and filters ({@code Filter.N}) as the
 * Describe actions share them. A NextToken is opaque to clients; a forged one is
 * {@code InvalidPaginationToken}. Filter values may use {@code *} and {@code ?} wildcards.
 */
final class Pages {

    private Pages() {
    }

    /** One page of {@code all} and the token of the next (null: last page). */
    record Page<T>(List<T> items, String nextToken) {
    }

    static <T> Page<T> page(List<T> all, Ec2Params params, int minMax, int maxMax) {
        int max = params.integer("MaxResults", minMax, maxMax, Integer.MAX_VALUE);
        int start = 0;
        String token = params.get("NextToken");
        if (token != null) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(token), StandardCharsets.US_ASCII);
            } catch (IllegalArgumentException e) {
                decoded = "";
            }
            if (!decoded.matches("offset:\\d{1,9}")) {
                throw new ApiException(400, "InvalidPaginationToken", "The pagination token " + token + " is not valid");
            }
            start = Math.min(Integer.parseInt(decoded.substring(7)), all.size());
        }
        int end = (int) Math.min(all.size(), (long) start + max);
        String next = end < all.size()
                ? Base64.getEncoder().encodeToString(("offset:" + end).getBytes(StandardCharsets.US_ASCII)) : null;
        return new Page<>(all.subList(start, end), next);
    }

    /** The items every filter accepts; an unknown filter name is {@code InvalidParameterValue}. */
    static <T> List<T> filter(List<T> items, Map<String, List<String>> filters, Map<String, Function<T, List<String>>> known) {
        for (String name : filters.keySet()) {
            if (!known.containsKey(name)) {
                throw new ApiException(400, "InvalidParameterValue", "The filter '" + name + "' is invalid; known: "
                        + String.join(", ", new java.util.TreeSet<>(known.keySet())));
            }
        }
        return items.stream().filter(item -> filters.entrySet().stream().allMatch(f -> {
            List<String> have = known.get(f.getKey()).apply(item);
            return f.getValue().stream().anyMatch(want -> have.stream().anyMatch(h -> h != null && matches(want, h)));
        })).toList();
    }

    static boolean matches(String pattern, String value) {
        if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0) {
            return pattern.equals(value);
        }
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> regex.append(".*");
                case '?' -> regex.append('.');
                default -> regex.append(java.util.regex.Pattern.quote(String.valueOf(c)));
            }
        }
        return value.matches(regex.toString());
    }
}
