package io.amiforge.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The pin file {@code dev/fixtures.properties}: for each fixture {@code NAME}, the file name it
 * is cached under ({@code NAME.file}) and that file's SHA-256 ({@code NAME.sha256}), next to what
 * {@code dev/fetch-fixtures} needs to download it. Tests read pinned fixtures only from the cache
 * directory ({@link #cacheDir()}); they never download.
 */
final class PinnedFixtures {

    private final Path pinFile;
    private final Properties pins;

    private PinnedFixtures(Path pinFile, Properties pins) {
        this.pinFile = pinFile;
        this.pins = pins;
    }

    /** {@code dev/fixtures.properties} of the checkout (system property {@code amiforge.root}, set by the build). */
    static Path pinFile() {
        return Path.of(System.getProperty("amiforge.root", ".")).resolve("dev/fixtures.properties").toAbsolutePath()
                .normalize();
    }

    /**
     * Where {@code dev/fetch-fixtures} puts fixtures: {@code $AMIFORGE_FIXTURES}, else
     * {@code $XDG_CACHE_HOME/amiforge/fixtures}, else {@code ~/.cache/amiforge/fixtures}.
     */
    static Path cacheDir() {
        String explicit = System.getenv("AMIFORGE_FIXTURES");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return cache.resolve("amiforge/fixtures");
    }

    static PinnedFixtures load(Path pinFile) {
        Properties pins = new Properties();
        try (InputStream in = Files.newInputStream(pinFile)) {
            pins.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the fixture pin file " + pinFile + ": " + e.getMessage(), e);
        }
        return new PinnedFixtures(pinFile, pins);
    }

    /** The fixture names listed by the {@code fixtures} key (comma-separated). */
    java.util.List<String> names() {
        return java.util.Arrays.stream(pins.getProperty("fixtures", "").split(",")).map(String::trim)
                .filter(n -> !n.isEmpty()).toList();
    }

    String pin(String name, String key) {
        String value = pins.getProperty(name + "." + key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(pinFile + " pins no " + name + "." + key);
        }
        return value.trim();
    }

    /**
     * The cached file of {@code name} in {@code cache}, or a skip (a failure under
     * {@code AMIFORGE_REQUIRE_INTEROP=1}) naming the file, the cache and the hashes when the file
     * is missing or its SHA-256 is not the pinned one.
     */
    Path verified(String name, Path cache) {
        return verified(name, cache, Interop.required());
    }

    Path verified(String name, Path cache, boolean required) {
        Path file = cache.resolve(pin(name, "file"));
        String expected = pin(name, "sha256").toLowerCase(java.util.Locale.ROOT);
        String fetch = " (run dev/fetch-fixtures, or set AMIFORGE_FIXTURES to the directory holding it)";
        if (!Files.isRegularFile(file)) {
            Interop.unless(false, "fixture " + name + " not found at " + file + fetch, required);
        }
        String actual = sha256(file);
        Interop.unless(actual.equals(expected), "fixture " + name + " at " + file + " has SHA-256 " + actual
                + " but " + pinFile + " pins " + expected + fetch, required);
        return file;
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] chunk = new byte[1 << 16];
            for (int n; (n = in.read(chunk)) >= 0; ) {
                digest.update(chunk, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + file + ": " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
