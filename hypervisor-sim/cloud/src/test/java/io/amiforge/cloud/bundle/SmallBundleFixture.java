package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * For tests that attack a bundle: openssl-made keys once per class, and before each test a
 * fresh 1.5 MB image bundled into several 128 KiB parts in {@code bundleDir}, with
 * {@code dest} (not yet created) as the place to unbundle to.
 */
abstract class SmallBundleFixture {

    @TempDir
    static Path keyDir;
    static BundleKeys keys;

    @TempDir
    Path dir;
    Path bundleDir;
    Path dest;
    Bundler.Result bundle;

    @BeforeAll
    static void keys() {
        keys = BundleKeys.create(keyDir);
    }

    @BeforeEach
    void bundle() throws Exception {
        Path image = dir.resolve("img.raw");
        TestImages.writeSemiCompressible(image, 1_500_000, 3);
        bundleDir = dir.resolve("bundle");
        dest = dir.resolve("dest");
        bundle = keys.bundler().withPartSize(128 * 1024).bundle(image, bundleDir, null, "111122223333",
                MachineConfiguration.of("x86_64"));
        assertThat(bundle.partFiles()).hasSizeGreaterThan(3);
    }
}
