package io.amiforge.cloud.server.auth;

/** Who sent a request whose signature verified: the key's account and the region of its credential scope. */
public record Caller(String account, String region, String accessKeyId) {
}
