package io.amiforge.cloud.server.ebs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * EBS direct block tokens: proof that a block was listed by ListSnapshotBlocks or
 * ListChangedBlocks for one account, snapshot and block, valid until an expiry time. A token is
 * the expiry and an HMAC-SHA256 (truncated to 128 bits) of account, snapshot, block and expiry
 * under a key drawn when the server starts, so tokens do not outlive the server process.
 */
final class BlockTokens {

    private static final int MAC_BYTES = 16;
    private final byte[] key = new byte[32];

    BlockTokens() {
        new SecureRandom().nextBytes(key);
    }

    /** Issues the tokens of one listing: one MAC instance for all of them (not thread-safe; one per request). */
    final class Issuer {
        private final Mac mac = newMac();
        private final Instant expiry;

        private Issuer(Instant expiry) {
            this.expiry = expiry;
        }

        /** A token for {@code block} of {@code snapshotId}, read by {@code account}, valid until the issuer's expiry. */
        String issue(String account, String snapshotId, long block) {
            long expirySeconds = expiry.getEpochSecond();
            ByteBuffer out = ByteBuffer.allocate(8 + MAC_BYTES);
            out.putLong(expirySeconds).put(mac(mac, account, snapshotId, block, expirySeconds));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(out.array());
        }
    }

    /** An issuer of tokens valid until {@code expiry}. */
    Issuer issuer(Instant expiry) {
        return new Issuer(expiry);
    }

    /** Whether {@code token} was issued for exactly this account, snapshot and block and has not expired at {@code now}. */
    boolean valid(String token, String account, String snapshotId, long block, Instant now) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (raw.length != 8 + MAC_BYTES) {
            return false;
        }
        long expirySeconds = ByteBuffer.wrap(raw).getLong();
        if (now.getEpochSecond() > expirySeconds) {
            return false;
        }
        return MessageDigest.isEqual(Arrays.copyOfRange(raw, 8, raw.length),
                mac(newMac(), account, snapshotId, block, expirySeconds));
    }

    private static byte[] mac(Mac mac, String account, String snapshotId, long block, long expirySeconds) {
        mac.update((account + '/' + snapshotId + '/' + block + '/' + expirySeconds).getBytes(StandardCharsets.US_ASCII));
        return Arrays.copyOf(mac.doFinal(), MAC_BYTES);
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is unavailable", e);
        }
    }
}
