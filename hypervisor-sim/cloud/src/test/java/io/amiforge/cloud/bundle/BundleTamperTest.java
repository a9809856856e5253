package io.amiforge.cloud.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.amiforge.blockdev.AmiforgeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Every way a bundle can be wrong gives a clear error and leaves nothing in the destination. */
@Tag("interop") // keys come from openssl
class BundleTamperTest extends SmallBundleFixture {

    private void expectFailure(ThrowingCallable call, String code, String... messageParts) throws Exception {
        assertThatThrownBy(call).isInstanceOf(AmiforgeException.class)
                .satisfies(e -> assertThat(((AmiforgeException) e).code()).isEqualTo(code))
                .hasMessageContainingAll(messageParts);
        if (Files.exists(dest)) {
            try (Stream<Path> left = Files.list(dest)) {
                assertThat(left).as("nothing left in the destination").isEmpty();
            }
        }
    }

    private ThrowingCallable unbundle() {
        return () -> Unbundler.withPrivateKey(keys.userPrivate()).unbundle(bundle.manifestFile(), bundleDir, dest);
    }

    @Test
    void tamperedPartIsNamed() throws Exception {
        Path part = bundle.partFiles().get(2);
        byte[] b = Files.readAllBytes(part);
        b[1000] ^= 1;
        Files.write(part, b);
        expectFailure(unbundle(), BundleException.INVALID_PART, "part 2", part.getFileName().toString(), "SHA-1");
    }

    @Test
    void missingPartIsNamed() throws Exception {
        Path part = bundle.partFiles().get(1);
        Files.delete(part);
        expectFailure(unbundle(), BundleException.INVALID_PART, "part 1", "missing", part.getFileName().toString());
    }

    @Test
    void truncatedPartChangesTheBundledSize() throws Exception {
        Path part = bundle.partFiles().getLast();
        byte[] b = Files.readAllBytes(part);
        Files.write(part, java.util.Arrays.copyOf(b, b.length - 16));
        expectFailure(unbundle(), BundleException.INVALID_PART, "bundled_size");
    }

    @Test
    void wrongPrivateKeyIsRefused() throws Exception {
        expectFailure(() -> Unbundler.withPrivateKey(keys.ec2Private()).unbundle(bundle.manifestFile(), bundleDir, dest),
                BundleException.INVALID_KEY, "user_encrypted_key", "wrong key");
    }

    @Test
    void truncatedManifestIsRefused() throws Exception {
        byte[] m = Files.readAllBytes(bundle.manifestFile());
        Files.write(bundle.manifestFile(), java.util.Arrays.copyOf(m, m.length / 2));
        expectFailure(unbundle(), BundleException.INVALID_MANIFEST, "not well-formed", "truncated");
    }

    @Test
    void editedManifestFailsTheSignature() throws Exception {
        editManifest(s -> s.replace("<architecture>x86_64</architecture>", "<architecture>i386</architecture>"));
        expectFailure(unbundle(), BundleException.SIGNATURE, "<signature>", "does not verify");
    }

    @Test
    void partListedTwiceIsRefusedBeforeAnythingElse() throws Exception {
        editManifest(s -> s.replaceFirst("<parts count='(\\d+)'>", "<parts count='999'>"));
        expectFailure(unbundle(), BundleException.INVALID_MANIFEST, "image/parts/@count is 999");
    }

    @Test
    void hiddenSecondImageElementIsRefused() throws Exception {
        // A comment holding a copy of <image> before the real one: the signed text would differ from what is used.
        editManifest(s -> s.replace("<machine_configuration>", "<!--<image><name>x</name></image>--><machine_configuration>"));
        expectFailure(unbundle(), BundleException.INVALID_MANIFEST, "not the manifest's own <image>");
    }

    @Test
    void missingElementIsNamed() throws Exception {
        editManifest(s -> s.replaceAll("<user_encrypted_iv>[0-9a-f]*</user_encrypted_iv>", ""));
        expectFailure(unbundle(), BundleException.INVALID_MANIFEST, "image/user_encrypted_iv");
    }

    @Test
    void partFileNameWithDirectoryIsRefused() throws Exception {
        editManifest(s -> s.replaceFirst("<filename>", "<filename>../"));
        expectFailure(unbundle(), BundleException.INVALID_MANIFEST, "part[0]/filename", "not a plain file name");
    }

    @Test
    void pathTraversalEntriesAreRefused() throws Exception {
        for (String name : List.of("../evil.img", "/etc/evil.img", "a/../../evil.img", "sub/dir.img")) {
            Path m = craft(entry -> {
                TarArchiveEntry e = new TarArchiveEntry(name, true);
                e.setSize(3);
                return e;
            }, new byte[] {1, 2, 3}, 3, null);
            expectFailure(() -> Unbundler.withPrivateKey(keys.userPrivate()).unbundle(m, m.getParent(), dest),
                    BundleException.INVALID_BUNDLE, "tar entry");
            assertThat(dir.resolve("evil.img")).doesNotExist();
        }
    }

    @Test
    void symlinkEntryIsRefused() throws Exception {
        Path m = craft(entry -> {
            TarArchiveEntry e = new TarArchiveEntry("img.raw", TarArchiveEntry.LF_SYMLINK);
            e.setLinkName("/etc/passwd");
            return e;
        }, new byte[0], 0, null);
        expectFailure(() -> Unbundler.withPrivateKey(keys.userPrivate()).unbundle(m, m.getParent(), dest),
                BundleException.INVALID_BUNDLE, "is a link", "/etc/passwd");
    }

    @Test
    void streamDigestMismatchIsRefused() throws Exception {
        Path m = craft(entry -> {
            TarArchiveEntry e = new TarArchiveEntry("img.raw");
            e.setSize(4);
            return e;
        }, new byte[] {9, 9, 9, 9}, 4, "0123456789012345678901234567890123456789");
        expectFailure(() -> Unbundler.withPrivateKey(keys.userPrivate()).unbundle(m, m.getParent(), dest),
                BundleException.INVALID_BUNDLE, "SHA-1", "<image><digest>");
    }

    @Test
    void imageSizeMismatchIsRefused() throws Exception {
        Path m = craft(entry -> {
            TarArchiveEntry e = new TarArchiveEntry("img.raw");
            e.setSize(4);
            return e;
        }, new byte[] {9, 9, 9, 9}, 5, null);
        expectFailure(() -> Unbundler.withPrivateKey(keys.userPrivate()).unbundle(m, m.getParent(), dest),
                BundleException.INVALID_BUNDLE, "4 bytes", "says 5");
    }

    private void editManifest(java.util.function.UnaryOperator<String> edit) throws Exception {
        String xml = Files.readString(bundle.manifestFile(), StandardCharsets.ISO_8859_1);
        String edited = edit.apply(xml);
        assertThat(edited).isNotEqualTo(xml);
        Files.writeString(bundle.manifestFile(), edited, StandardCharsets.ISO_8859_1);
    }

    /** A validly signed one-part bundle around an arbitrary tar entry (for what our Bundler never writes). */
    private Path craft(java.util.function.Function<Void, TarArchiveEntry> entry, byte[] data, long declaredSize,
            String digestOverride) throws Exception {
        return CraftedBundles.craft(keys, dir, entry.apply(null), data, declaredSize, digestOverride, "c.part.0");
    }
}
