package io.amiforge.cli.ami;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.Progress;
import io.amiforge.cloud.bundle.BundleManifest;
import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import io.amiforge.cloud.bundle.Bundler;
import io.amiforge.imagefmt.format.ImageFormats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge ami bundle IMAGE -d DIR --user ID --cert C --privatekey K --ec2cert C}: the
 * ec2-bundle-image work-alike. Writes {@code PREFIX.part.N} and {@code PREFIX.manifest.xml}.
 */
@Command(name = "bundle", mixinStandardHelpOptions = true,
        description = {"Bundle a raw image for an instance-store AMI (ec2-bundle-image format): tar, gzip, "
                + "AES-128-CBC, 10 MiB parts and a signed manifest.",
                        "Example: amiforge ami bundle disk.raw -d bundle/ -u 111122223333 -c cert.pem -k pk.pem --ec2cert ec2.pem"})
public final class AmiBundleCommand extends CommandBase {

    @Parameters(index = "0", paramLabel = "IMAGE", description = {"Raw image file to bundle (its bytes, never probed).", "Example: disk.raw"})
    Path image;

    @Option(names = {"-f", "--format"}, paramLabel = "FMT",
            description = {"The image's format; only raw can be bundled (convert others with image convert -O raw).", "Example: -f raw"})
    String format;

    @Option(names = {"-d", "--destination"}, required = true, paramLabel = "DIR",
            description = {"Directory for the parts and the manifest (created if missing).", "Example: -d bundle/"})
    Path destination;

    @Option(names = {"-u", "--user"}, required = true, paramLabel = "ID", description = {"Owner account id.", "Example: -u 111122223333"})
    String user;

    @Option(names = {"-c", "--cert"}, required = true, paramLabel = "FILE", description = {"User X.509 certificate (PEM).", "Example: -c cert.pem"})
    Path cert;

    @Option(names = {"-k", "--privatekey"}, required = true, paramLabel = "FILE",
            description = {"User RSA private key (PEM, PKCS#1 or PKCS#8).", "Example: -k pk.pem"})
    Path privateKey;

    @Option(names = "--ec2cert", required = true, paramLabel = "FILE", description = {"EC2 X.509 certificate (PEM).", "Example: --ec2cert ec2.pem"})
    Path ec2Cert;

    @Option(names = {"-p", "--prefix"}, paramLabel = "P", description = {"Bundle name (default: the image file name).", "Example: -p web-server"})
    String prefix;

    @Option(names = {"-r", "--arch"}, paramLabel = "A", defaultValue = "x86_64",
            description = {"Architecture: i386, x86_64 or arm64 (default: ${DEFAULT-VALUE}).", "Example: -r i386"})
    String arch;

    @Option(names = "--kernel-id", paramLabel = "aki-..", description = {"Default kernel id.", "Example: --kernel-id aki-919dcaf8"})
    String kernelId;

    @Option(names = "--ramdisk-id", paramLabel = "ari-..", description = {"Default ramdisk id.", "Example: --ramdisk-id ari-12345678"})
    String ramdiskId;

    @Option(names = {"-B", "--block-device-mapping"}, paramLabel = "MAP",
            description = {"virtual=device pairs, comma separated, e.g. ami=sda1,root=/dev/sda1,ephemeral0=sdb.", "Example: -B ami=sda1,root=/dev/sda1"})
    String blockDeviceMapping;

    @Option(names = "--threads", paramLabel = "N", description = {"Compression threads (default: processors).", "Example: --threads 2"})
    Integer threads;

    @Override
    protected int execute() {
        if (format != null && !ImageFormats.byName(format).name().equals("raw")) {
            throw usage("ami bundle bundles the bytes of a raw image, not " + format
                    + ": convert it first with 'image convert " + image + " OUT -O raw'");
        }
        if (!arch.matches("i386|x86_64|arm64")) {
            throw usage("--arch '" + arch + "' is not one of i386, x86_64, arm64");
        }
        if (kernelId != null && !kernelId.matches("aki-[0-9a-f]{8}([0-9a-f]{9})?")) {
            throw usage("--kernel-id '" + kernelId + "' is not a kernel id such as aki-1a2b3c4d");
        }
        if (ramdiskId != null && !ramdiskId.matches("ari-[0-9a-f]{8}([0-9a-f]{9})?")) {
            throw usage("--ramdisk-id '" + ramdiskId + "' is not a ramdisk id such as ari-1a2b3c4d");
        }
        MachineConfiguration machine = new MachineConfiguration(arch, parseMapping(blockDeviceMapping), kernelId,
                ramdiskId, List.of());
        Bundler bundler = Bundler.withKeyFiles(cert, privateKey, ec2Cert);
        if (threads != null) {
            bundler = bundler.withThreads(threads);
        }
        long size;
        try {
            size = Files.isRegularFile(image) ? Files.size(image) : 0;
        } catch (java.io.IOException e) {
            size = 0;
        }
        Bundler.Result result;
        try (Progress progress = progress("bundle", size, false, true)) {
            result = bundler.withProgress(progress).bundle(image, destination, prefix, user, machine);
        }
        BundleManifest.Image img = result.manifest().image();
        List<String> parts = new ArrayList<>();
        result.partFiles().forEach(p -> parts.add(p.toString()));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("manifest", result.manifestFile().toString());
        json.put("name", img.name());
        json.put("imageSize", img.size());
        json.put("bundledSize", img.bundledSize());
        json.put("digest", img.digest());
        json.put("parts", parts);
        print(json, "Bundled " + image + " (" + img.size() + " bytes) into " + parts.size() + " part(s), "
                + img.bundledSize() + " bytes\nManifest: " + result.manifestFile());
        return 0;
    }

    static SortedMap<String, String> parseMapping(String text) {
        SortedMap<String, String> map = new TreeMap<>();
        if (text == null || text.isBlank()) {
            return map;
        }
        for (String pair : text.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) {
                throw usage("--block-device-mapping entry '" + pair + "' is not virtual=device");
            }
            String virtual = pair.substring(0, eq).strip();
            if (map.put(virtual, pair.substring(eq + 1).strip()) != null) {
                throw usage("--block-device-mapping names '" + virtual + "' twice");
            }
        }
        return map;
    }

    private static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", message);
    }
}
