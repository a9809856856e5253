package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.VirtualizationType;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Bundles handed over by an attacker, through both doors: {@code Unbundler.unbundle} and
 * {@code Cloud.registerBundle}. A part must be a regular file beside the manifest, read no
 * further than the bundled size accounts for, and match its digest before it is used; unbundle
 * writes only the manifest's image name and never over an existing file.
 */
@Tag("interop") // keys come from openssl
class HostileBundleTest extends SmallBundleFixture {

    private ThrowingCallable unbundle(Path manifest) {
        return () -> Unbundler.withPrivateKey(keys.userPrivate()).unbundle(manifest, manifest.getParent(), dest);
    }

    private ThrowingCallable register(Cloud cloud, Path manifest) {
        return () -> cloud.registerBundle("111122223333", "us-east-1", manifest, keys.userCert(), "hostile-image",
                VirtualizationType.HVM, null, null);
    }

    /** Both doors refuse with {@code code} and a message holding {@code parts}; nothing is left behind. */
    private void refusedEverywhere(Path manifest, String code, String... parts) throws Exception {
        assertThatThrownBy(unbundle(manifest)).isInstanceOf(AmiforgeException.class)
                .satisfies(e -> assertThat(((AmiforgeException) e).code()).isEqualTo(code))
                .hasMessageContainingAll(parts);
        if (Files.exists(dest)) {
            try (Stream<Path> left = Files.list(dest)) {
                assertThat(left).as("nothing left in the destination").isEmpty();
            }
        }
        Path root = dir.resolve("cloud-" + System.nanoTime());
        Cloud cloud = Cloud.open(root, (disk, image, type) -> {
            throw new AssertionError("nothing boots here");
        });
        assertThatThrownBy(register(cloud, manifest)).isInstanceOf(AmiforgeException.class)
                .satisfies(e -> assertThat(((AmiforgeException) e).code()).isEqualTo(code))
                .hasMessageContainingAll(parts);
        assertThat(cloud.describeImages("111122223333", "us-east-1", new Cloud.ImageFilter(null, null, null))).isEmpty();
        Path bundles = root.resolve("regions").resolve("us-east-1").resolve("bundles");
        if (Files.exists(bundles)) {
            try (Stream<Path> left = Files.walk(bundles)) {
                assertThat(left.filter(Files::isRegularFile)).as("no part copied into the region").isEmpty();
            }
        }
    }

    private Path part(int index) {
        return bundle.partFiles().get(index);
    }

    @Test
    void aSymlinkedPartIsRefusedEvenWhenItsBytesAreRight() throws Exception {
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere")).resolve("part");
        Files.move(part(1), elsewhere);
        Files.createSymbolicLink(part(1), elsewhere);
        refusedEverywhere(bundle.manifestFile(), BundleException.INVALID_PART, "part 1", "symbolic link");
    }

    @Test
    void aPartThatIsAFifoOrDeviceIsRefusedWithoutReadingIt() throws Exception {
        Files.delete(part(2));
        Process mkfifo = new ProcessBuilder("mkfifo", part(2).toString()).start();
        assertThat(mkfifo.waitFor(30, TimeUnit.SECONDS)).isTrue();
        refusedEverywhere(bundle.manifestFile(), BundleException.INVALID_PART, "part 2", "not a regular file");
        Files.delete(part(2));
        Files.createSymbolicLink(part(2), Path.of("/dev/zero"));
        refusedEverywhere(bundle.manifestFile(), BundleException.INVALID_PART, "part 2", "symbolic link");
    }

    @Test
    void aPartNamedWithDotDotIsRefused() throws Exception {
        TarArchiveEntry entry = new TarArchiveEntry(CraftedBundles.IMAGE_NAME);
        entry.setSize(3);
        Path manifest = CraftedBundles.craft(keys, dir, entry, new byte[] {1, 2, 3}, 3, null, "../c.part.0");
        Files.copy(manifest.resolveSibling("c.part.0"), dir.resolve("c.part.0"));
        refusedEverywhere(manifest, BundleException.INVALID_MANIFEST, "part[0]/filename", "not a plain file name");
    }

    @Test
    void anOversizedPartIsRefusedBeforeItIsRead() throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(part(0).toFile(), "rw")) {
            file.setLength(bundle.manifest().image().bundledSize() + 1);
        }
        refusedEverywhere(bundle.manifestFile(), BundleException.INVALID_PART, "part 0",
                "more than <image><bundled_size> " + bundle.manifest().image().bundledSize());
    }

    @Test
    void aTamperedPartIsRefusedAndNeverCopiedIntoTheRegion() throws Exception {
        byte[] bytes = Files.readAllBytes(part(3));
        bytes[bytes.length - 1] ^= 1; // same size: only the digest can tell
        Files.write(part(3), bytes);
        refusedEverywhere(bundle.manifestFile(), BundleException.INVALID_PART, "part 3", "tampered or damaged part");
    }

    @Test
    void aTarEntryNamedDotDotIsRefused() throws Exception {
        TarArchiveEntry entry = new TarArchiveEntry("../../evil", true);
        entry.setSize(3);
        Path manifest = CraftedBundles.craft(keys, dir, entry, new byte[] {1, 2, 3}, 3, null, "c.part.0");
        assertThatThrownBy(unbundle(manifest)).isInstanceOf(AmiforgeException.class).hasMessageContaining("'..'");
        assertThat(dir.resolve("evil")).doesNotExist();
        assertThat(dest.getParent().getParent().resolve("evil")).doesNotExist();
    }

    @Test
    void unbundleWritesTheNameTheManifestGivesNotTheTarEntrys() throws Exception {
        TarArchiveEntry entry = new TarArchiveEntry("authorized_keys", true);
        entry.setSize(3);
        Path manifest = CraftedBundles.craft(keys, dir, entry, new byte[] {1, 2, 3}, 3, null, "c.part.0");
        Unbundler.Result result = Unbundler.withPrivateKey(keys.userPrivate()).unbundle(manifest, manifest.getParent(), dest);
        assertThat(result.imageFile()).isEqualTo(dest.resolve(CraftedBundles.IMAGE_NAME));
        assertThat(Files.readAllBytes(result.imageFile())).containsExactly(1, 2, 3);
        try (Stream<Path> files = Files.list(dest)) {
            assertThat(files).containsExactly(dest.resolve(CraftedBundles.IMAGE_NAME));
        }
    }

    @Test
    void unbundleNeverOverwritesAnExistingFile() throws Exception {
        Files.createDirectories(dest);
        Path existing = dest.resolve(bundle.manifest().image().name());
        Files.writeString(existing, "precious");
        assertThatThrownBy(unbundle(bundle.manifestFile())).isInstanceOf(AmiforgeException.class)
                .hasMessageContaining(existing.toString()).hasMessageContaining("already exists");
        assertThat(Files.readString(existing)).isEqualTo("precious");
        try (Stream<Path> files = Files.list(dest)) {
            assertThat(files).containsExactly(existing);
        }
        // a symbolic link at the name is not followed either
        Files.delete(existing);
        Path victim = dir.resolve("victim");
        Files.writeString(victim, "precious");
        Files.createSymbolicLink(existing, victim);
        assertThatThrownBy(unbundle(bundle.manifestFile())).hasMessageContaining("already exists");
        assertThat(Files.readString(victim)).isEqualTo("precious");
    }

    @Test
    void aCleanBundleStillRegistersAndUnbundles() throws Exception {
        Unbundler.Result result = Unbundler.withPrivateKey(keys.userPrivate()).unbundle(bundle.manifestFile(), bundleDir, dest);
        assertThat(Files.readAllBytes(result.imageFile())).isEqualTo(Files.readAllBytes(dir.resolve("img.raw")));
        Cloud cloud = Cloud.open(dir.resolve("cloud"), (disk, image, type) -> {
            throw new AssertionError("nothing boots here");
        });
        assertThat(cloud.registerBundle("111122223333", "us-east-1", bundle.manifestFile(), keys.userCert(), "good-image",
                VirtualizationType.HVM, null, null).name()).isEqualTo("good-image");
        assertThat(List.of(bundle.manifest().image().parts().size())).containsExactly(bundle.partFiles().size());
    }
}
