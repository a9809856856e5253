package io.amiforge.cloud.server.auth;

/**
 * An API key of an account: the access key id (public, names the key) and the secret (known
 * only to the holder and the server). {@link #toString()} never shows the secret.
 */
public record AccessKey(String accessKeyId, String secretAccessKey, String account) {

    @Override
    public String toString() {
        return "AccessKey[" + accessKeyId + " of " + account + "]";
    }
}
