package io.amiforge.boot;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The real Debian kernels the boot tests run: packages pinned in {@code dev/fixtures.properties}
 * (name, version, SHA-256; {@link #CLOUD} and {@link #GENERIC}), read from the fixture cache that
 * {@code dev/fetch-fixtures} fills and unpacked with {@code dpkg-deb -x}. Missing or with the
 * wrong hash, the test skips, or fails under {@code AMIFORGE_REQUIRE_INTEROP=1}; it never
 * downloads.
 */
public final class DebianKernelFixture {

    /** The cloud flavour: LZ4 payload. */
    public static final String CLOUD = "debian-kernel-cloud";
    /** The generic flavour: xz payload with the x86 BCJ filter. */
    public static final String GENERIC = "debian-kernel-generic";

    private DebianKernelFixture() {
    }

    /** Unpacks the pinned kernel package {@code fixture} into {@code workDir} and returns its {@code boot/vmlinuz-*}. */
    public static Path vmlinuz(String fixture, Path workDir) throws IOException {
        Path deb = Interop.pinnedFixture(fixture);
        Path dpkgDeb = Interop.tool("dpkg-deb");
        Path root = workDir.resolve(fixture);
        Processes.run(java.util.List.of(dpkgDeb.toString(), "-x", deb.toString(), root.toString())).orFail();
        try (Stream<Path> s = Files.list(root.resolve("boot"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).findFirst()
                    .orElseThrow(() -> new AssertionError(deb + " holds no boot/vmlinuz-*"));
        }
    }

    /** The kernel release, from the file name {@code vmlinuz-RELEASE}. */
    public static String release(Path vmlinuz) {
        return vmlinuz.getFileName().toString().substring("vmlinuz-".length());
    }
}
