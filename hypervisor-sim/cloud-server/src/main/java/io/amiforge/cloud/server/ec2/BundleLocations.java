package io.amiforge.cloud.server.ec2;

import io.amiforge.cloud.server.auth.SigningCertificates;
import io.amiforge.cloud.server.http.ApiException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Where RegisterImage's {@code ImageLocation} and the caller's signing certificate are found.
 * amiforge has no S3: {@code ROOT/s3/BUCKET/KEY} stands in for {@code s3://BUCKET/KEY}, so an
 * ImageLocation {@code BUCKET/PREFIX/NAME.manifest.xml} names the manifest
 * {@code ROOT/s3/BUCKET/PREFIX/NAME.manifest.xml} with its parts beside it (where
 * {@code ec2-upload-bundle} would have put them). EC2 checks the manifest's signature against the
 * X.509 certificate the account registered ({@link SigningCertificates}, installed with
 * {@code amiforge account import-certificate}).
 *
 * <p>A location is bucket and key as S3 spells them; {@code .}/{@code ..} segments, empty
 * segments, backslashes and anything resolving (through links) outside {@code ROOT/s3/BUCKET} are
 * refused, so a request cannot make the server read any other file.
 */
final class BundleLocations {

    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9!_.*'()+=,@-]{1,255}");

    private final Path s3;
    private final SigningCertificates certificates;

    BundleLocations(Path root) {
        this.s3 = root.resolve("s3");
        this.certificates = SigningCertificates.of(root);
    }

    /** The manifest file {@code imageLocation} names; {@code InvalidParameterValue} or {@code InvalidManifest} if none. */
    Path manifest(String imageLocation) {
        String[] parts = imageLocation.split("/", -1);
        if (parts.length < 2 || !BUCKET.matcher(parts[0]).matches()) {
            throw invalid(imageLocation, "it must be BUCKET/KEY with an S3 bucket name");
        }
        for (int i = 1; i < parts.length; i++) {
            if (!SEGMENT.matcher(parts[i]).matches() || parts[i].equals(".") || parts[i].equals("..")) {
                throw invalid(imageLocation, "key segment " + i + " '" + parts[i] + "' is empty, '.' or '..', or has a character "
                        + "outside letters, digits and !_.*'()+=,@-");
            }
        }
        if (!imageLocation.endsWith(".manifest.xml")) {
            throw invalid(imageLocation, "it must name a bundle manifest (NAME.manifest.xml)");
        }
        Path bucket = s3.resolve(parts[0]);
        Path file = bucket.resolve(imageLocation.substring(parts[0].length() + 1));
        try {
            if (!Files.isRegularFile(file) || !file.toRealPath().startsWith(bucket.toRealPath())) {
                throw notFound(imageLocation);
            }
        } catch (IOException e) {
            throw notFound(imageLocation);
        }
        return file;
    }

    /** The X.509 certificate {@code account} signs its bundles with; {@code InvalidManifest} if it has none. */
    Path certificate(String account) {
        return certificates.find(account).orElseThrow(() -> new ApiException(400, "InvalidManifest", "account " + account
                + " has no signing certificate to check the manifest with (install one with `amiforge account import-certificate"
                + " FILE --account " + account + "`)"));
    }

    private static ApiException invalid(String location, String why) {
        return new ApiException(400, "InvalidParameterValue", "ImageLocation '" + location + "' is not valid: " + why);
    }

    private static ApiException notFound(String location) {
        return new ApiException(400, "InvalidManifest", "the manifest " + location + " cannot be read: there is no such object"
                + " (amiforge serves s3://BUCKET/KEY from the store's s3/BUCKET/KEY)");
    }
}
