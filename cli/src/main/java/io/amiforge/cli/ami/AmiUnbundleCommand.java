package io.amiforge.cli.ami;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.Progress;
import io.amiforge.cloud.bundle.BundleManifest;
import io.amiforge.cloud.bundle.PemKeys;
import io.amiforge.cloud.bundle.Unbundler;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code amiforge ami unbundle -m MANIFEST -s DIR -d DIR --privatekey K}: the ec2-unbundle
 * work-alike that also verifies the signature, every part and the stream digest before the
 * image appears in the destination.
 */
@Command(name = "unbundle", mixinStandardHelpOptions = true,
        description = {"Verify a bundle (signature, part digests, image digest) and restore its image.",
                "Example: amiforge ami unbundle -m bundle/disk.raw.manifest.xml -d restored/ -k pk.pem"})
public final class AmiUnbundleCommand extends CommandBase {

    @Option(names = {"-m", "--manifest"}, required = true, paramLabel = "FILE", description = {"The bundle manifest.",
            "Example: -m bundle/disk.raw.manifest.xml"})
    Path manifest;

    @Option(names = {"-s", "--source"}, paramLabel = "DIR",
            description = {"Directory holding the parts (default: the manifest's directory).", "Example: -s bundle/"})
    Path source;

    @Option(names = {"-d", "--destination"}, required = true, paramLabel = "DIR",
            description = {"Directory to restore the image into (created if missing).", "Example: -d restored/"})
    Path destination;

    @Option(names = {"-k", "--privatekey"}, required = true, paramLabel = "FILE",
            description = {"User RSA private key (PEM, PKCS#1 or PKCS#8).", "Example: -k pk.pem"})
    Path privateKey;

    @Option(names = {"-c", "--cert"}, paramLabel = "FILE",
            description = {"Verify the signature with this certificate (default: the private key's public half).", "Example: -c cert.pem"})
    Path cert;

    @Override
    protected int execute() {
        Unbundler unbundler = Unbundler.withPrivateKeyFile(privateKey);
        if (cert != null) {
            unbundler = unbundler.withSigner(PemKeys.readCertificate(cert));
        }
        Path parts = source != null ? source : manifest.toAbsolutePath().getParent();
        long size = BundleManifest.read(manifest).image().size();
        Unbundler.Result result;
        try (Progress progress = progress("unbundle", size, false, true)) {
            result = unbundler.withProgress(progress).unbundle(manifest, parts, destination);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("image", result.imageFile().toString());
        json.put("size", result.size());
        json.put("digest", result.digest());
        json.put("parts", result.manifest().image().parts().size());
        json.put("verified", true);
        print(json, "Verified signature, " + result.manifest().image().parts().size()
                + " part digest(s) and the image digest\nRestored " + result.imageFile() + " (" + result.size()
                + " bytes)");
        return 0;
    }
}
