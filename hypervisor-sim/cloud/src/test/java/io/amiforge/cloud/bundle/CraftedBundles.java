package io.amiforge.cloud.bundle;

import io.amiforge.cloud.bundle.BundleManifest.Image;
import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import io.amiforge.cloud.bundle.BundleManifest.Part;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import javax.crypto.Cipher;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Validly signed one-part bundles around whatever an attacker puts in them (what our Bundler never writes). */
final class CraftedBundles {

    /** The manifest's {@code <image><name>}: the one file unbundle may write. */
    static final String IMAGE_NAME = "c";

    private CraftedBundles() {
    }

    /**
     * Writes, in a new directory under {@code dir}, a bundle whose tar stream holds {@code entry}
     * with {@code data}, whose manifest declares {@code declaredSize} bytes (and
     * {@code digestOverride} as the tar digest when not null) and names its one part
     * {@code partName} (written as {@code c.part.0} beside the manifest). Returns the manifest.
     */
    static Path craft(BundleKeys keys, Path dir, TarArchiveEntry entry, byte[] data, long declaredSize,
                      String digestOverride, String partName) throws Exception {
        ByteArrayOutputStream tarBytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(tarBytes)) {
            tar.putArchiveEntry(entry);
            tar.write(data);
            tar.closeArchiveEntry();
        }
        byte[] tarStream = tarBytes.toByteArray();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(gz)) {
            g.write(tarStream);
        }
        SecureRandom random = new SecureRandom();
        byte[] key = BundleCrypto.random16(random);
        byte[] iv = BundleCrypto.random16(random);
        byte[] enc = BundleCrypto.aes(Cipher.ENCRYPT_MODE, key, iv).doFinal(gz.toByteArray());
        Path craftDir = Files.createDirectories(dir.resolve("crafted-" + System.nanoTime()));
        Files.write(craftDir.resolve("c.part.0"), enc);
        HexFormat hex = HexFormat.of();
        String digest = digestOverride != null ? digestOverride
                : hex.formatHex(MessageDigest.getInstance("SHA-1").digest(tarStream));
        var userPub = keys.userCertificate().getPublicKey();
        Image img = new Image(IMAGE_NAME, "111122223333", "machine", "SHA1", digest, declaredSize, enc.length, "AES-128-CBC",
                BundleCrypto.encryptHexSecret(key, userPub, random), BundleCrypto.encryptHexSecret(key, userPub, random),
                BundleCrypto.encryptHexSecret(iv, userPub, random), BundleCrypto.encryptHexSecret(iv, userPub, random),
                List.of(new Part(0, partName, hex.formatHex(MessageDigest.getInstance("SHA-1").digest(enc)))));
        MachineConfiguration mc = MachineConfiguration.of("x86_64");
        String signed = ManifestXml.machineConfigurationXml(mc) + ManifestXml.imageXml(img);
        BundleManifest manifest = new BundleManifest(BundleManifest.VERSION, Bundler.BUNDLER, mc, img,
                BundleCrypto.sign(signed, keys.userPrivate()), signed);
        Path m = craftDir.resolve("c.manifest.xml");
        Files.writeString(m, manifest.toXml(), StandardCharsets.ISO_8859_1);
        return m;
    }
}
