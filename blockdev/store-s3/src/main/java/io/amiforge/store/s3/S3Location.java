package io.amiforge.store.s3;

import io.amiforge.blockdev.AmiforgeException;

/**
 * A bucket and a key prefix, written {@code s3://bucket/prefix}. The prefix has no leading or
 * trailing slash and may be empty; a store's key {@code k} is the object {@code prefix/k}.
 *
 * @param bucket the bucket name (S3's rules: 3 to 63 lowercase letters, digits, dots and hyphens,
 *     starting and ending with a letter or digit)
 * @param prefix the key prefix without leading or trailing slash, or {@code ""}
 */
public record S3Location(String bucket, String prefix) {

    private static final String SCHEME = "s3://";

    /** Checks the bucket name and normalises the prefix (slashes at either end removed). */
    public S3Location {
        checkBucket(bucket, SCHEME + bucket + "/" + prefix);
        prefix = trimSlashes(prefix);
        if (prefix.contains("//")) {
            throw invalid(SCHEME + bucket + "/" + prefix, "the prefix has an empty path segment ('//')");
        }
    }

    /**
     * Parses {@code s3://bucket} or {@code s3://bucket/prefix}; throws a USAGE
     * {@link AmiforgeException} (code {@code InvalidS3Location}) naming the text and what is wrong.
     */
    public static S3Location parse(String text) {
        if (text == null || !text.startsWith(SCHEME)) {
            throw invalid(String.valueOf(text), "expected s3://BUCKET or s3://BUCKET/PREFIX");
        }
        String rest = text.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String prefix = slash < 0 ? "" : rest.substring(slash + 1);
        checkBucket(bucket, text);
        if (trimSlashes(prefix).contains("//")) {
            throw invalid(text, "the prefix has an empty path segment ('//')");
        }
        return new S3Location(bucket, prefix);
    }

    /** The object key of the store key {@code key}: {@code prefix/key}, or {@code key} without a prefix. */
    public String objectKey(String key) {
        return prefix.isEmpty() ? key : prefix + "/" + key;
    }

    /** The store key of the object key {@code objectKey} (the inverse of {@link #objectKey}). */
    public String storeKey(String objectKey) {
        return prefix.isEmpty() ? objectKey : objectKey.substring(prefix.length() + 1);
    }

    @Override
    public String toString() {
        return prefix.isEmpty() ? SCHEME + bucket : SCHEME + bucket + "/" + prefix;
    }

    private static void checkBucket(String bucket, String text) {
        if (bucket == null || bucket.isEmpty()) {
            throw invalid(text, "the bucket name is empty");
        }
        if (bucket.length() < 3 || bucket.length() > 63) {
            throw invalid(text, "bucket name '" + bucket + "' has " + bucket.length() + " characters, S3 allows 3 to 63");
        }
        for (int i = 0; i < bucket.length(); i++) {
            char c = bucket.charAt(i);
            boolean alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            boolean edge = i == 0 || i == bucket.length() - 1;
            if (!alnum && (edge || (c != '-' && c != '.'))) {
                throw invalid(text, "bucket name '" + bucket + "' has '" + c + "' at index " + i
                        + " (lowercase letters, digits, '.' and '-' only, a letter or digit at either end)");
            }
        }
    }

    private static String trimSlashes(String prefix) {
        if (prefix == null) {
            return "";
        }
        int from = 0;
        int to = prefix.length();
        while (from < to && prefix.charAt(from) == '/') {
            from++;
        }
        while (to > from && prefix.charAt(to - 1) == '/') {
            to--;
        }
        return prefix.substring(from, to);
    }

    private static AmiforgeException invalid(String text, String what) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidS3Location",
                "store location '" + text + "': " + what);
    }
}
