package io.amiforge.cloud.bundle;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.cloud.bundle.BundleManifest.BundlerInfo;
import io.amiforge.cloud.bundle.BundleManifest.Image;
import io.amiforge.cloud.bundle.BundleManifest.MachineConfiguration;
import io.amiforge.cloud.bundle.BundleManifest.Part;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Bundles a raw image the way {@code ec2-bundle-image} does, in one streaming pass with flat
 * memory: image → tar (one entry named after the bundle prefix, size in the header) → gzip
 * (parallel, {@link ParallelGzipOutputStream}) → AES-128-CBC with a random key and IV → parts of
 * 10 MiB, {@code PREFIX.part.N}; then {@code PREFIX.manifest.xml} (see {@link BundleManifest}),
 * signed with the user's key. The SHA-1 of the tar stream and of every part are computed on the
 * way.
 *
 * <p>Atomicity: parts are written under temporary names and renamed, and the manifest is
 * written last (temporary file, then rename). On any failure everything this run wrote is
 * deleted; a bundle without its manifest is never left behind.
 *
 * <p>Usage: {@code Bundler.withKeys(userCert, userKey, ec2Cert).bundle(image, dir, prefix, user, machine)}.
 * Instances are immutable; the {@code with*} methods return copies.
 */
public final class Bundler {

    /** ec2-ami-tools' part size: 10 MiB. */
    public static final long DEFAULT_PART_SIZE = 10L * 1024 * 1024;
    /** Name written into the manifest's {@code <bundler>} element. */
    public static final BundlerInfo BUNDLER = new BundlerInfo("amiforge", "0.1.0", "1");

    private static final int READ_BUFFER = 1 << 20;

    private final PublicKey userCertificate;
    private final PrivateKey userPrivateKey;
    private final PublicKey ec2Certificate;
    private final int threads;
    private final int level;
    private final long partSize;
    private final boolean durable;
    private final LongConsumer progress;
    private final SecureRandom random;

    private Bundler(PublicKey userCertificate, PrivateKey userPrivateKey, PublicKey ec2Certificate,
            int threads, int level, long partSize, boolean durable, LongConsumer progress, SecureRandom random) {
        this.userCertificate = userCertificate;
        this.userPrivateKey = userPrivateKey;
        this.ec2Certificate = ec2Certificate;
        this.threads = threads;
        this.level = level;
        this.partSize = partSize;
        this.durable = durable;
        this.progress = progress;
        this.random = random;
    }

    /**
     * A bundler for one user: the key and IV are encrypted to {@code userCertificate} and
     * {@code ec2Certificate}; the manifest is signed with {@code userPrivateKey}. Defaults: as
     * many compression threads as processors, gzip level 6, 10 MiB parts, files forced to disk
     * before they are renamed into place.
     */
    public static Bundler withKeys(X509Certificate userCertificate, PrivateKey userPrivateKey,
            X509Certificate ec2Certificate) {
        return withKeys(userCertificate.getPublicKey(), userPrivateKey, ec2Certificate.getPublicKey());
    }

    /**
     * As {@link #withKeys(X509Certificate, PrivateKey, X509Certificate)} with bare RSA public keys,
     * for callers that hold key pairs rather than certificates (the simulated cloud's EC2 key).
     */
    public static Bundler withKeys(PublicKey userPublicKey, PrivateKey userPrivateKey, PublicKey ec2PublicKey) {
        for (var k : new java.security.Key[] {userPublicKey, userPrivateKey, ec2PublicKey}) {
            if (!"RSA".equals(k.getAlgorithm())) {
                throw BundleException.invalid(BundleException.INVALID_KEY, "bundle keys must be RSA, got "
                        + k.getAlgorithm());
            }
        }
        return new Bundler(userPublicKey, userPrivateKey, ec2PublicKey,
                Math.max(1, Runtime.getRuntime().availableProcessors()), 6, DEFAULT_PART_SIZE, true, n -> { },
                new SecureRandom());
    }

    /** Reads the three PEM files (certificate, PKCS#1 or PKCS#8 private key, EC2 certificate). */
    public static Bundler withKeyFiles(Path userCertificate, Path userPrivateKey, Path ec2Certificate) {
        return withKeys(PemKeys.readCertificate(userCertificate), PemKeys.readPrivateKey(userPrivateKey),
                PemKeys.readCertificate(ec2Certificate));
    }

    public Bundler withThreads(int n) {
        if (n < 1 || n > 256) {
            throw new BundleException(Kind.USAGE, "InvalidParameterValue", "threads " + n + ", expected 1..256");
        }
        return new Bundler(userCertificate, userPrivateKey, ec2Certificate, n, level, partSize, durable, progress,
                random);
    }

    public Bundler withLevel(int gzipLevel) {
        if (gzipLevel < 1 || gzipLevel > 9) {
            throw new BundleException(Kind.USAGE, "InvalidParameterValue", "gzip level " + gzipLevel + ", expected 1..9");
        }
        return new Bundler(userCertificate, userPrivateKey, ec2Certificate, threads, gzipLevel, partSize, durable,
                progress, random);
    }

    /** Part size in bytes (10 MiB unless a test wants many small parts). */
    public Bundler withPartSize(long bytes) {
        if (bytes < 16 || bytes % 16 != 0) {
            throw new BundleException(Kind.USAGE, "InvalidParameterValue", "part size " + bytes
                    + ", expected a multiple of 16 of at least 16");
        }
        return new Bundler(userCertificate, userPrivateKey, ec2Certificate, threads, level, bytes, durable, progress,
                random);
    }

    /** Whether parts and manifest are fsynced before being renamed into place (default true). */
    public Bundler withDurable(boolean fsync) {
        return new Bundler(userCertificate, userPrivateKey, ec2Certificate, threads, level, partSize, fsync, progress,
                random);
    }

    /** Called from the bundling thread with the number of image bytes read so far. */
    public Bundler withProgress(LongConsumer bytesRead) {
        return new Bundler(userCertificate, userPrivateKey, ec2Certificate, threads, level, partSize, durable,
                bytesRead, random);
    }

    /** What one run produced. */
    public record Result(Path manifestFile, List<Path> partFiles, BundleManifest manifest) {
        public Result {
            partFiles = List.copyOf(partFiles);
        }
    }

    /**
     * Bundles {@code image} into {@code destination} (created if missing).
     *
     * @param prefix  bundle name, also the tar entry's name; null means the image's file name
     * @param user    the owner's account id (the manifest's {@code <user>})
     * @param machine architecture, block device mapping, kernel and ramdisk ids
     */
    public Result bundle(Path image, Path destination, String prefix, String user, MachineConfiguration machine) {
        long size = checkInput(image);
        String name = prefix != null ? prefix : image.getFileName().toString();
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..") || name.indexOf('\0') >= 0) {
            throw new BundleException(Kind.USAGE, "InvalidParameterValue", "prefix '" + name
                    + "' must be a plain file name");
        }
        if (user == null || user.isBlank()) {
            throw new BundleException(Kind.USAGE, "InvalidParameterValue", "user (account id) is required");
        }
        try {
            Files.createDirectories(destination);
        } catch (IOException e) {
            throw BundleException.io("cannot create destination directory " + destination, e);
        }
        byte[] key = BundleCrypto.random16(random);
        byte[] iv = BundleCrypto.random16(random);
        String token = BundleCrypto.HEX.formatHex(BundleCrypto.random16(random), 0, 6);
        PartWriter parts = new PartWriter(destination, name, partSize, durable, token);
        Path manifestFile = destination.resolve(name + ".manifest.xml");
        Path manifestTemp = destination.resolve("." + name + ".manifest.xml." + token + ".tmp");
        ParallelGzipOutputStream gzip = null;
        boolean ok = false;
        try {
            gzip = new ParallelGzipOutputStream(new AesCbcOutputStream(parts, key, iv), level, threads);
            DigestingOutputStream tarDigest = new DigestingOutputStream(gzip);
            writeTar(image, size, name, tarDigest);
            // closing the tar stream closed gzip, the cipher and the part writer in turn
            String digest = tarDigest.hexDigest();

            List<PartWriter.WrittenPart> written = parts.parts();
            List<Part> manifestParts = new ArrayList<>(written.size());
            for (int i = 0; i < written.size(); i++) {
                manifestParts.add(new Part(i, written.get(i).filename(), written.get(i).digest()));
            }
            Image img = new Image(name, user, "machine", "SHA1", digest, size, parts.bytesWritten(), "AES-128-CBC",
                    BundleCrypto.encryptHexSecret(key, ec2Certificate, random),
                    BundleCrypto.encryptHexSecret(key, userCertificate, random),
                    BundleCrypto.encryptHexSecret(iv, ec2Certificate, random),
                    BundleCrypto.encryptHexSecret(iv, userCertificate, random), manifestParts);
            String signed = ManifestXml.machineConfigurationXml(machine) + ManifestXml.imageXml(img);
            BundleManifest manifest = new BundleManifest(BundleManifest.VERSION, BUNDLER, machine, img,
                    BundleCrypto.sign(signed, userPrivateKey), signed);

            try (FileChannel ch = FileChannel.open(manifestTemp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(manifest.toXml().getBytes(StandardCharsets.ISO_8859_1));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                if (durable) {
                    ch.force(true);
                }
            }
            parts.commit();
            Files.move(manifestTemp, manifestFile, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            ok = true;
            List<Path> files = new ArrayList<>();
            for (PartWriter.WrittenPart p : written) {
                files.add(destination.resolve(p.filename()));
            }
            return new Result(manifestFile, files, manifest);
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
            throw new BundleException(Kind.FAILED, "Interrupted", "bundling " + image + " was interrupted", e);
        } catch (IOException e) {
            throw BundleException.io("bundling " + image + " into " + destination, e);
        } finally {
            if (!ok) {
                if (gzip != null) {
                    gzip.abort();
                }
                parts.abort();
                PartWriter.deleteQuietly(manifestTemp);
            }
        }
    }

    private void writeTar(Path image, long size, String name, DigestingOutputStream out) throws IOException {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
                FileChannel in = FileChannel.open(image, StandardOpenOption.READ)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
            tar.setAddPaxHeadersForNonAsciiNames(true);
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(size);
            entry.setMode(TarArchiveEntry.DEFAULT_FILE_MODE);
            entry.setIds(0, 0);
            entry.setNames("root", "root");
            entry.setLastModifiedTime(modificationTime(image));
            tar.putArchiveEntry(entry);
            byte[] buffer = new byte[READ_BUFFER];
            ByteBuffer wrapped = ByteBuffer.wrap(buffer);
            long done = 0;
            while (done < size) {
                wrapped.clear().limit((int) Math.min(buffer.length, size - done));
                int n = in.read(wrapped, done);
                if (n < 0) {
                    throw BundleException.invalid("InvalidImageFormat", image + ": file shrank while bundling: end at "
                            + done + ", expected " + size + " bytes");
                }
                tar.write(buffer, 0, n);
                done += n;
                progress.accept(done);
            }
            tar.closeArchiveEntry();
            tar.finish();
        }
    }

    /** The image's mtime, or SOURCE_DATE_EPOCH when set (reproducible tar headers). */
    private static FileTime modificationTime(Path image) throws IOException {
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch != null && epoch.matches("\\d{1,18}")) {
            return FileTime.from(Instant.ofEpochSecond(Long.parseLong(epoch)));
        }
        FileTime t = Files.getLastModifiedTime(image);
        return FileTime.from(Instant.ofEpochSecond(t.toInstant().getEpochSecond()));
    }

    private static long checkInput(Path image) {
        try {
            if (!Files.isRegularFile(image)) {
                if (!Files.exists(image)) {
                    throw new BundleException(Kind.NOT_FOUND, "FileNotFound", image + ": no such image file");
                }
                throw BundleException.invalid("InvalidImageFormat", image + ": not a regular file");
            }
            return Files.size(image);
        } catch (NoSuchFileException e) {
            throw new BundleException(Kind.NOT_FOUND, "FileNotFound", image + ": no such image file");
        } catch (IOException e) {
            throw BundleException.io(image.toString(), e);
        }
    }
}
