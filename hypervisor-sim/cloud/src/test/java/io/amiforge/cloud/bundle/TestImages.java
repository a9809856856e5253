package io.amiforge.cloud.bundle;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** Deterministic test data: semi-compressible bytes (text-like runs mixed with noise), and file digests. */
final class TestImages {

    private TestImages() {
    }

    /** {@code size} bytes that gzip to roughly 40-60 %: words from a small alphabet, some random bytes. */
    static byte[] semiCompressible(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[size];
        String[] words = {"root ", "kernel ", "initrd ", "/boot/vmlinuz ", "console=ttyS0 ", "ext4 ", "xvda1 ",
            "amiforge ", "\n", "0x7c00 "};
        int i = 0;
        while (i < size) {
            if (r.nextInt(4) == 0) {
                int n = Math.min(size - i, 1 + r.nextInt(24));
                for (int k = 0; k < n; k++) {
                    b[i++] = (byte) r.nextInt(256);
                }
            } else {
                byte[] w = words[r.nextInt(words.length)].getBytes();
                int n = Math.min(size - i, w.length);
                System.arraycopy(w, 0, b, i, n);
                i += n;
            }
        }
        return b;
    }

    static void writeSemiCompressible(Path file, long size, long seed) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            long done = 0;
            long s = seed;
            while (done < size) {
                int n = (int) Math.min(1 << 20, size - done);
                out.write(semiCompressible(n, s++));
                done += n;
            }
        }
    }

    static String sha1(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-1");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) >= 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
