package io.amiforge.cloud.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.amiforge.blockdev.AmiforgeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store's API keys: secrets only in 0600 files, encrypted, found again by a fresh reader. */
class AccessKeysTest {

    @TempDir
    Path root;

    @Test
    void keyFilesAreOwnerOnlyAndHoldNoSecretInTheClear() throws Exception {
        AccessKey key = AccessKeys.of(root).create("123456789012");
        Path dir = root.resolve("accounts");
        for (String name : new String[] {"access-keys.json", "key-encryption.key"}) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(name))), name);
        }
        assertFalse(Files.readString(dir.resolve("access-keys.json")).contains(key.secretAccessKey()));
        try (Stream<Path> files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left behind");
        }
    }

    @Test
    void aFreshReaderFindsEveryKeyWithItsSecret() {
        AccessKeys writer = AccessKeys.of(root);
        AccessKey first = writer.create("123456789012");
        AccessKey second = writer.create("210987654321");
        AccessKeys reader = AccessKeys.of(root);
        assertEquals(first, reader.find(first.accessKeyId()).orElseThrow());
        assertEquals(second, reader.find(second.accessKeyId()).orElseThrow());
        assertTrue(reader.find("AKIANOSUCHKEY0000000").isEmpty());
    }

    @Test
    void aLeftoverTemporaryFileFromACrashDoesNotStopTheNextWrite() throws Exception {
        Path dir = Files.createDirectories(root.resolve("accounts"));
        Files.writeString(dir.resolve("access-keys.json.tmp"), "{\"half\":");
        Files.writeString(dir.resolve("key-encryption.key.tmp"), "AAAA");
        AccessKey key = AccessKeys.of(root).create("123456789012");
        assertEquals(key, AccessKeys.of(root).find(key.accessKeyId()).orElseThrow());
    }

    @Test
    void anExistingKeyEncryptionKeyIsKeptNotReplaced() throws Exception {
        AccessKey before = AccessKeys.of(root).create("123456789012");
        byte[] kek = Files.readAllBytes(root.resolve("accounts/key-encryption.key"));
        AccessKeys.of(root).create("123456789012");
        assertEquals(new String(kek, StandardCharsets.US_ASCII),
                Files.readString(root.resolve("accounts/key-encryption.key"), StandardCharsets.US_ASCII));
        assertEquals(before, AccessKeys.of(root).find(before.accessKeyId()).orElseThrow());
    }

    @Test
    void aDamagedKeyEncryptionKeyIsNamedNotGuessed() throws Exception {
        AccessKey key = AccessKeys.of(root).create("123456789012");
        Files.writeString(root.resolve("accounts/key-encryption.key"), "not base64 at all\n");
        AmiforgeException e = assertThrows(AmiforgeException.class, () -> AccessKeys.of(root).find(key.accessKeyId()));
        assertTrue(e.getMessage().contains("key-encryption.key"), e.getMessage());
    }
}
