package io.amiforge.cloud.bundle;

import io.amiforge.blockdev.AmiforgeException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.function.LongConsumer;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Restores the image from a bundle, checking more than {@code ec2-unbundle} does, and all of it
 * before the image appears in the destination: the manifest's signature (over the exact signed
 * text in the file), every part's SHA-1 (a first pass over the parts, then again while
 * streaming), the total bundled size, the AES padding, the gzip CRC, the tar entry (exactly one
 * regular file with a plain name: no absolute path, no {@code ..}, no link or device), the
 * image size and the SHA-1 of the whole tar stream. Each part is a regular file in the source
 * directory whose SHA-1 is checked before any of its bytes are used ({@link BundleParts}). The
 * image is written (sparsely: all-zero 4 KiB blocks become holes) to a temporary file in the
 * destination directory and given the manifest's {@code <image><name>} only when every check
 * passed, never replacing an existing file; on any failure the temporary file is deleted.
 *
 * <p>Keys: by default the user's private key decrypts {@code user_encrypted_key/iv}, and the
 * signature is checked with the public half of that same key. The cloud side (launching an
 * instance-store AMI) uses {@link #asEc2()} with the EC2 private key and gives the bundle owner's
 * certificate with {@link #withSigner(PublicKey)}.
 */
public final class Unbundler {

    private static final int BUFFER = 256 * 1024;
    private static final int SPARSE_BLOCK = 4096;

    private final PrivateKey privateKey;
    private final PublicKey signer;
    private final boolean ec2;
    private final LongConsumer progress;

    private Unbundler(PrivateKey privateKey, PublicKey signer, boolean ec2, LongConsumer progress) {
        this.privateKey = privateKey;
        this.signer = signer;
        this.ec2 = ec2;
        this.progress = progress;
    }

    /** An unbundler that decrypts with the user's {@code privateKey} and verifies with its public half. */
    public static Unbundler withPrivateKey(PrivateKey privateKey) {
        return new Unbundler(privateKey, null, false, n -> { });
    }

    /** Reads a PKCS#1 or PKCS#8 PEM private key file. */
    public static Unbundler withPrivateKeyFile(Path privateKey) {
        return withPrivateKey(PemKeys.readPrivateKey(privateKey));
    }

    /** Verifies the signature with {@code key} (the bundle owner's) instead of the private key's public half. */
    public Unbundler withSigner(PublicKey key) {
        return new Unbundler(privateKey, key, ec2, progress);
    }

    /** Verifies the signature with the bundle owner's certificate. */
    public Unbundler withSigner(X509Certificate certificate) {
        return withSigner(certificate.getPublicKey());
    }

    /** Decrypts {@code ec2_encrypted_key/iv} (the private key is EC2's); requires {@link #withSigner}. */
    public Unbundler asEc2() {
        return new Unbundler(privateKey, signer, true, progress);
    }

    /** Called with the number of image bytes restored so far. */
    public Unbundler withProgress(LongConsumer bytesRestored) {
        return new Unbundler(privateKey, signer, ec2, bytesRestored);
    }

    /** What one run restored. */
    public record Result(Path imageFile, long size, String digest, BundleManifest manifest) {
    }

    /**
     * Verifies and unbundles: parts are read from {@code sourceDirectory}, the image is written
     * into {@code destinationDirectory} (created if missing) under the name the manifest gives
     * ({@code <image><name>}), never a name from the tar stream, and never over an existing file.
     */
    public Result unbundle(Path manifestFile, Path sourceDirectory, Path destinationDirectory) {
        BundleManifest manifest = BundleManifest.read(manifestFile);
        String source = manifestFile.toString();
        BundleManifest.Image image = manifest.image();

        byte[] key = BundleCrypto.decryptHexSecret(ec2 ? image.ec2EncryptedKey() : image.userEncryptedKey(),
                privateKey, ec2 ? "ec2_encrypted_key" : "user_encrypted_key", source);
        byte[] iv = BundleCrypto.decryptHexSecret(ec2 ? image.ec2EncryptedIv() : image.userEncryptedIv(),
                privateKey, ec2 ? "ec2_encrypted_iv" : "user_encrypted_iv", source);
        PublicKey verifier = signer;
        if (verifier == null) {
            if (ec2) {
                throw new BundleException(Kind.USAGE, "InvalidParameterValue",
                        "unbundling with the EC2 key needs the bundle owner's certificate to verify " + source);
            }
            verifier = PemKeys.publicKeyOf(privateKey);
        }
        if (!manifest.verifySignature(verifier)) {
            throw BundleException.invalid(BundleException.SIGNATURE, source + ": <signature> does not verify over"
                    + " <machine_configuration> and <image> with the " + (signer == null ? "private key's public half"
                    : "given certificate") + " (manifest altered, or signed by another key)");
        }

        String imageName = plainName(image.name(), source + ": <image><name> '" + image.name() + "'");
        Path target = destinationDirectory.resolve(imageName);
        refuseExisting(target, source);
        try {
            Files.createDirectories(destinationDirectory);
        } catch (IOException e) {
            throw BundleException.io("cannot create destination directory " + destinationDirectory, e);
        }
        String token = BundleCrypto.HEX.formatHex(BundleCrypto.random16(new SecureRandom()), 0, 6);
        Path temp = destinationDirectory.resolve(".unbundle." + token + ".tmp");
        boolean ok = false;
        try (PartsInputStream parts = new PartsInputStream(sourceDirectory, image, source)) {
            AesCbcInputStream plain = new AesCbcInputStream(parts, key, iv, source);
            GZIPInputStream gunzip;
            try {
                gunzip = new GZIPInputStream(plain, BUFFER);
            } catch (ZipException e) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source
                        + ": the decrypted data is not gzip (wrong key or IV?): " + e.getMessage(), e);
            }
            DigestingInputStream tarStream = new DigestingInputStream(gunzip);
            TarArchiveInputStream tar = new TarArchiveInputStream(tarStream);
            TarArchiveEntry entry = tar.getNextEntry();
            if (entry == null) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source + ": the tar stream holds no entry");
            }
            String name = checkEntry(entry, source);
            long size = entry.isSparse() ? entry.getRealSize() : entry.getSize();
            if (size != image.size()) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source + ": tar entry '" + name
                        + "' is " + size + " bytes, <image><size> says " + image.size());
            }
            long written = restore(tar, temp, size);
            if (written != size) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source + ": tar entry '" + name
                        + "' ended after " + written + " of " + size + " bytes");
            }
            TarArchiveEntry extra = tar.getNextEntry();
            if (extra != null) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source + ": unexpected second tar entry '"
                        + extra.getName() + "' (a bundle holds exactly one image file)");
            }
            tarStream.drain();
            String digest = tarStream.hexDigest();
            if (!digest.equals(image.digest())) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source + ": the tar stream ("
                        + tarStream.count() + " bytes) has SHA-1 " + digest + ", <image><digest> says "
                        + image.digest());
            }
            // GZIPInputStream checked CRC and length at the end of the member, the cipher the padding.
            publish(temp, target, source);
            ok = true;
            return new Result(target, size, digest, manifest);
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw new BundleException(Kind.FAILED, "Interrupted", "unbundling " + source + " was interrupted", e);
        } catch (ZipException | java.io.EOFException e) {
            throw BundleException.invalid(BundleException.INVALID_BUNDLE, source
                    + ": the decrypted stream is not valid gzip: " + e.getMessage(), e);
        } catch (IOException e) {
            if (e.getCause() instanceof BundleException be) {
                throw be;
            }
            if (e.getClass().getName().startsWith("org.apache.commons.compress")
                    || e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("tar")) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, source
                        + ": the decompressed stream is not a valid tar archive: " + e.getMessage(), e);
            }
            throw BundleException.io("unbundling " + source, e);
        } catch (IllegalArgumentException e) {
            // commons-compress reports some malformed headers this way
            throw BundleException.invalid(BundleException.INVALID_BUNDLE, source
                    + ": the decompressed stream is not a valid tar archive: " + e.getMessage(), e);
        } finally {
            if (!ok) {
                PartWriter.deleteQuietly(temp);
            }
        }
    }

    /** Refuses to unbundle over an existing file (checked first, and again when the image is published). */
    private static void refuseExisting(Path target, String source) {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new BundleException(Kind.USAGE, "InvalidParameterValue", source + ": the destination " + target
                    + " already exists; unbundle does not overwrite files");
        }
    }

    /**
     * Gives the finished temporary file its name without ever replacing a file: a hard link
     * (which fails if the name is taken) then removal of the temporary name.
     */
    private static void publish(Path temp, Path target, String source) throws IOException {
        try {
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
            refuseExisting(target, source);
            throw e;
        } catch (UnsupportedOperationException e) {
            refuseExisting(target, source);
            Files.move(temp, target);
            return;
        }
        Files.delete(temp);
    }

    /** {@code name} when it is a plain file name (no separator, not . or .., no NUL), else an error saying {@code what}. */
    private static String plainName(String name, String what) {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")
                || name.indexOf('\0') >= 0) {
            throw BundleException.invalid(BundleException.INVALID_MANIFEST, what
                    + " is not a plain file name; unbundle writes only that one file in the destination");
        }
        return name;
    }

    private static String checkEntry(TarArchiveEntry entry, String source) {
        String name = entry.getName();
        String what = source + ": tar entry '" + name + "'";
        if (entry.isSymbolicLink() || entry.isLink()) {
            throw BundleException.invalid(BundleException.INVALID_BUNDLE, what + " is a link (to '"
                    + entry.getLinkName() + "'); a bundle holds one regular file");
        }
        if (!entry.isFile() && !entry.isSparse()) {
            throw BundleException.invalid(BundleException.INVALID_BUNDLE, what + " is not a regular file (type '"
                    + (char) entryType(entry) + "')");
        }
        if (name.startsWith("/")) {
            throw BundleException.invalid(BundleException.INVALID_BUNDLE, what
                    + " is an absolute path; it would escape the destination");
        }
        while (name.startsWith("./")) {
            name = name.substring(2);
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                throw BundleException.invalid(BundleException.INVALID_BUNDLE, what
                        + " contains '..'; it would escape the destination");
            }
        }
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.indexOf('\0') >= 0
                || name.contains("\\")) {
            throw BundleException.invalid(BundleException.INVALID_BUNDLE, what
                    + " is not a plain file name (a bundle holds one image file at the top level)");
        }
        return name;
    }

    private static byte entryType(TarArchiveEntry entry) {
        if (entry.isDirectory()) {
            return '5';
        }
        if (entry.isCharacterDevice()) {
            return '3';
        }
        if (entry.isBlockDevice()) {
            return '4';
        }
        if (entry.isFIFO()) {
            return '6';
        }
        return '?';
    }

    /** Copies the entry into {@code temp}, leaving all-zero 4 KiB blocks as holes; returns bytes read. */
    private long restore(InputStream in, Path temp, long size) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(temp.toFile(), "rw")) {
            raf.setLength(size);
        }
        byte[] buffer = new byte[BUFFER];
        byte[] zeros = new byte[SPARSE_BLOCK];
        ByteBuffer wrapped = ByteBuffer.wrap(buffer);
        long position = 0;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            while (true) {
                int filled = 0;
                while (filled < buffer.length) {
                    int n = in.read(buffer, filled, buffer.length - filled);
                    if (n < 0) {
                        break;
                    }
                    filled += n;
                }
                if (filled == 0) {
                    break;
                }
                int runStart = -1;
                for (int at = 0; at < filled; at += SPARSE_BLOCK) {
                    int len = Math.min(SPARSE_BLOCK, filled - at);
                    boolean zero = Arrays.mismatch(buffer, at, at + len, zeros, 0, len) < 0;
                    if (!zero && runStart < 0) {
                        runStart = at;
                    } else if (zero && runStart >= 0) {
                        writeFully(out, wrapped, runStart, at, position);
                        runStart = -1;
                    }
                }
                if (runStart >= 0) {
                    writeFully(out, wrapped, runStart, filled, position);
                }
                position += filled;
                progress.accept(position);
                if (filled < buffer.length) {
                    break;
                }
            }
            out.force(true);
        }
        return position;
    }

    private static void writeFully(FileChannel out, ByteBuffer wrapped, int from, int to, long base)
            throws IOException {
        wrapped.limit(to).position(from);
        long at = base + from;
        while (wrapped.hasRemaining()) {
            at += out.write(wrapped, at);
        }
    }
}
