package io.amiforge.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/**
 * Gate for tests that need something from outside the repository: a Debian tool
 * ({@code qemu-img}, {@code e2fsck}, {@code nasm}, ...), a pinned download in the fixture cache
 * ({@link #pinnedFixture}, fetched by {@code dev/fetch-fixtures}) or a fixture in
 * {@code ../shared/fixtures}. Such a test skips with a message naming what is missing, and fails
 * instead when the environment variable {@code AMIFORGE_REQUIRE_INTEROP=1} is set (as CI does).
 * A test never downloads anything itself.
 */
public final class Interop {

    private Interop() {
    }

    /** True when missing interop prerequisites must fail tests rather than skip them. */
    public static boolean required() {
        return "1".equals(System.getenv("AMIFORGE_REQUIRE_INTEROP"));
    }

    /** Skips (or fails, when required) the current test unless {@code tool} is on the PATH or in /usr/sbin. */
    public static Path tool(String tool) {
        Optional<Path> found = findTool(tool);
        unless(found.isPresent(), "tool '" + tool + "' is not installed (see .ci/run for the Debian packages)");
        return found.orElseThrow();
    }

    /** Skips (or fails, when required) unless {@code file} exists; returns it. */
    public static Path file(Path file, String what) {
        unless(Files.exists(file), what + " not found at " + file);
        return file;
    }

    /** The shared fixtures directory beside the checkout ({@code ../shared/fixtures}). */
    public static Path fixtures() {
        String shared = System.getenv("AMIFORGE_SHARED");
        Path base = shared != null ? Path.of(shared)
                : Path.of(System.getProperty("amiforge.root", ".")).resolve("../shared");
        return base.resolve("fixtures").normalize();
    }

    /** Skips (or fails, when required) with {@code reason} unless {@code condition} holds. */
    public static void unless(boolean condition, String reason) {
        unless(condition, reason, required());
    }

    static void unless(boolean condition, String reason, boolean required) {
        if (condition) {
            return;
        }
        if (required) {
            throw new AssertionError("interop prerequisite missing and AMIFORGE_REQUIRE_INTEROP=1: " + reason);
        }
        Assumptions.abort("skipped: " + reason);
    }

    /**
     * The cached file of the fixture {@code name} pinned in {@code dev/fixtures.properties}, after
     * checking its SHA-256; skips (or fails, when required) when it is missing or its hash differs,
     * saying to run {@code dev/fetch-fixtures}.
     */
    public static Path pinnedFixture(String name) {
        return PinnedFixtures.load(PinnedFixtures.pinFile()).verified(name, PinnedFixtures.cacheDir());
    }

    /** The tool on the PATH (or in /usr/sbin, /sbin, /usr/bin), if installed. */
    public static Optional<Path> findTool(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/bin";
        for (String dir : List.of(path.split(":"))) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }
}
