package io.amiforge.cloud.bundle;

import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An ec2-ami-tools manifest, version 2007-10-10: what {@code PREFIX.manifest.xml} says about a
 * bundle. {@link #read(Path)} parses one (checking its shape, not its signature);
 * {@link #verifySignature(PublicKey)} checks the RSA-SHA1 signature over {@link #signedText()},
 * the exact bytes of {@code <machine_configuration>...</machine_configuration>} followed by
 * {@code <image>...</image>} as they appear in the file.
 *
 * @param version     the manifest format version, {@value #VERSION}
 * @param bundler     the tool that wrote the bundle
 * @param machine     the machine configuration (architecture, block device mapping, kernel, ramdisk)
 * @param image       the image: name, owner, digests, sizes, encrypted key and IV, parts
 * @param signature   lowercase hex RSA-SHA1 signature by the user's private key
 * @param signedText  the exact signed text (ISO-8859-1 so that chars map 1:1 to the file's bytes)
 */
public record BundleManifest(String version, BundlerInfo bundler, MachineConfiguration machine, Image image,
        String signature, String signedText) {

    /** The only manifest version this implementation reads and writes. */
    public static final String VERSION = "2007-10-10";

    /** The {@code <bundler>} element. */
    public record BundlerInfo(String name, String version, String release) {
    }

    /**
     * The {@code <machine_configuration>} element. {@code blockDeviceMapping} maps a virtual name
     * ({@code ami}, {@code root}, {@code ephemeral0}, {@code swap}) to a device ({@code sda1},
     * {@code /dev/sda1}); kernel and ramdisk ids may be null.
     */
    public record MachineConfiguration(String architecture, SortedMap<String, String> blockDeviceMapping,
            String kernelId, String ramdiskId, List<String> productCodes) {
        public MachineConfiguration {
            blockDeviceMapping = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(blockDeviceMapping));
            productCodes = List.copyOf(productCodes);
        }

        /** A configuration with an architecture only. */
        public static MachineConfiguration of(String architecture) {
            return new MachineConfiguration(architecture, new TreeMap<>(), null, null, List.of());
        }

        public MachineConfiguration withBlockDeviceMapping(Map<String, String> mapping) {
            return new MachineConfiguration(architecture, new TreeMap<>(mapping), kernelId, ramdiskId, productCodes);
        }
    }

    /**
     * The {@code <image>} element.
     *
     * @param digest      hex SHA-1 of the whole uncompressed tar stream
     * @param size        the image file's size in bytes
     * @param bundledSize the sum of the parts' sizes
     */
    public record Image(String name, String user, String type, String digestAlgorithm, String digest, long size,
            long bundledSize, String cipherAlgorithm, String ec2EncryptedKey, String userEncryptedKey,
            String ec2EncryptedIv, String userEncryptedIv, List<Part> parts) {
        public Image {
            parts = List.copyOf(parts);
        }
    }

    /** One {@code <part>}: its file name (beside the manifest) and its hex SHA-1. */
    public record Part(int index, String filename, String digest) {
    }

    /** Parses a manifest file; see {@link ManifestXml#parse(byte[], String)} for what is checked. */
    public static BundleManifest read(Path manifest) {
        return ManifestXml.read(manifest);
    }

    /** True when {@link #signature()} is a valid RSA-SHA1 signature of {@link #signedText()} by {@code key}. */
    public boolean verifySignature(PublicKey key) {
        return BundleCrypto.verify(signedText, signature, key);
    }

    /** The manifest as the exact text written to {@code PREFIX.manifest.xml}. */
    public String toXml() {
        return ManifestXml.serialize(this);
    }
}
