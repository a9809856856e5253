package io.amiforge.cloud.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.cloud.AtomicFiles;
import io.amiforge.store.AccountId;
import io.amiforge.store.StoreLock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The API keys of a store, in {@code STORE/accounts/access-keys.json}. SigV4 needs the secret
 * itself to check a signature, so a secret cannot be stored hashed: each is stored encrypted
 * (AES-256-GCM, the key id as associated data) under a key-encryption key kept in
 * {@code STORE/accounts/key-encryption.key}, both files mode 0600. Copying the keys file alone
 * reveals no secret. Secrets are never logged and never part of an exception message.
 *
 * <p>Thread-safe; several processes may create keys at once (a lock file serializes them). A
 * key created by another process is found on the next lookup that misses the cache.
 */
public final class AccessKeys {

    private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private static final String SECRET_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static final int GCM_IV_BYTES = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, AccessKey> cache = new ConcurrentHashMap<>();

    private AccessKeys(Path dir) {
        this.dir = dir;
    }

    /** The key store of the store root {@code root} (nothing is created until a key is). */
    public static AccessKeys of(Path root) {
        return new AccessKeys(root.resolve("accounts"));
    }

    /** Creates a new key for {@code account} (a 12-digit id) and returns it, secret included. */
    public AccessKey create(String account) {
        if (!AccountId.isValid(account)) {
            throw new AmiforgeException(Kind.USAGE, "InvalidParameterValue", "account '" + account + "' is not a 12-digit account id");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ioError(dir, e);
        }
        try (StoreLock _ = StoreLock.acquire(dir.resolve("access-keys.lock"), "access keys")) {
            byte[] kek = keyEncryptionKey(true);
            ObjectNode file = readFile();
            ArrayNode keys = (ArrayNode) file.get("keys");
            AccessKey key = new AccessKey(randomText(BASE32, 16, "AKIA"), randomText(SECRET_CHARS, 40, ""), account);
            ObjectNode entry = keys.addObject();
            entry.put("accessKeyId", key.accessKeyId());
            entry.put("account", account);
            entry.put("created", Instant.now().toString());
            entry.put("secret", encrypt(kek, key.accessKeyId(), key.secretAccessKey()));
            writeFile(file);
            cache.put(key.accessKeyId(), key);
            return key;
        }
    }

    /** The key called {@code accessKeyId}, if the store issued it. */
    public Optional<AccessKey> find(String accessKeyId) {
        AccessKey cached = cache.get(accessKeyId);
        if (cached != null) {
            return Optional.of(cached);
        }
        if (!Files.exists(dir.resolve("access-keys.json"))) {
            return Optional.empty();
        }
        ObjectNode file = readFile();
        for (JsonNode entry : file.get("keys")) {
            if (accessKeyId.equals(entry.path("accessKeyId").asText())) {
                String account = entry.path("account").asText();
                String secret = decrypt(keyEncryptionKey(false), accessKeyId, entry.path("secret").asText());
                AccessKey key = new AccessKey(accessKeyId, secret, account);
                cache.put(accessKeyId, key);
                return Optional.of(key);
            }
        }
        return Optional.empty();
    }

    private ObjectNode readFile() {
        Path file = dir.resolve("access-keys.json");
        if (!Files.exists(file)) {
            ObjectNode empty = JSON.createObjectNode();
            empty.put("formatVersion", 1);
            empty.putArray("keys");
            return empty;
        }
        try {
            JsonNode node = JSON.readTree(file.toFile());
            if (!(node instanceof ObjectNode object) || object.path("formatVersion").asInt() != 1 || !object.path("keys").isArray()) {
                throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData",
                        file + ": not an access-key file of format version 1 (with a \"keys\" array)");
            }
            return object;
        } catch (IOException e) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData", file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private void writeFile(ObjectNode content) {
        Path file = dir.resolve("access-keys.json");
        try {
            AtomicFiles.writeOwnerOnly(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(content));
        } catch (IOException e) {
            throw ioError(file, e);
        }
    }

    /** The 32-byte key-encryption key; created (0600) when {@code create} and missing. */
    private byte[] keyEncryptionKey(boolean create) {
        Path file = dir.resolve("key-encryption.key");
        try {
            if (!Files.exists(file)) {
                if (!create) {
                    throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData",
                            file + " is missing: the access keys in " + dir + " cannot be decrypted");
                }
                byte[] kek = new byte[32];
                random.nextBytes(kek);
                if (AtomicFiles.createOwnerOnly(file, (Base64.getEncoder().encodeToString(kek) + "\n").getBytes(StandardCharsets.US_ASCII))) {
                    return kek;
                }
                // another process created it first: use its key
            }
            byte[] kek = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
            if (kek.length != 32) {
                throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData", file + ": not a 32-byte base64 key");
            }
            return kek;
        } catch (IOException e) {
            throw ioError(file, e);
        } catch (IllegalArgumentException e) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData", file + ": not a 32-byte base64 key", e);
        }
    }

    private String encrypt(byte[] kek, String accessKeyId, String secret) {
        try {
            byte[] iv = new byte[GCM_IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, iv));
            cipher.updateAAD(accessKeyId.getBytes(StandardCharsets.US_ASCII));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.US_ASCII));
            byte[] out = new byte[iv.length + sealed.length];
            System.arraycopy(iv, 0, out, 0, iv.length);
            System.arraycopy(sealed, 0, out, iv.length, sealed.length);
            return Base64.getEncoder().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    private String decrypt(byte[] kek, String accessKeyId, String sealed) {
        try {
            byte[] in = Base64.getDecoder().decode(sealed);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, new SecretKeySpec(kek, "AES"), new GCMParameterSpec(128, in, 0, GCM_IV_BYTES));
            cipher.updateAAD(accessKeyId.getBytes(StandardCharsets.US_ASCII));
            return new String(cipher.doFinal(in, GCM_IV_BYTES, in.length - GCM_IV_BYTES), StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData", dir.resolve("access-keys.json")
                    + ": the secret of " + accessKeyId + " does not decrypt with " + dir.resolve("key-encryption.key"));
        }
    }

    private String randomText(String alphabet, int length, String prefix) {
        StringBuilder out = new StringBuilder(prefix);
        for (int i = 0; i < length; i++) {
            out.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return out.toString();
    }

    private static AmiforgeException ioError(Path path, IOException e) {
        return new AmiforgeException(Kind.FAILED, "IOError", path + ": " + e.getMessage(), e);
    }
}
