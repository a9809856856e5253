package io.amiforge.testkit;

import io.amiforge.blockdev.BlockDevice;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * What fault tests compare before and after a fault: a short digest of a device's whole content,
 * and a copy of a state directory to restore between attempts.
 */
public final class StateSnapshots {

    private StateSnapshots() {
    }

    /** The first 8 bytes of the SHA-256 of {@code device}'s whole content, in hex. */
    public static String digest(BlockDevice device) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[64 * 1024];
        for (long at = 0; at < device.size(); at += buf.length) {
            int n = (int) Math.min(buf.length, device.size() - at);
            device.read(at, MemorySegment.ofArray(buf).asSlice(0, n));
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest(), 0, 8);
    }

    /** Copies the tree {@code from} to {@code to}, leaving out lock files ({@code *.lock}); returns {@code to}. */
    public static Path copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (!p.getFileName().toString().endsWith(".lock")) {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
