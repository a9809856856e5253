package io.amiforge.cloud.bundle;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a byte stream into parts of exactly {@code partSize} bytes (the last may be shorter;
 * no empty trailing part), hashing each with SHA-1. Parts are written under temporary names
 * ({@code .PREFIX.part.N.TOKEN.tmp}) because their final names depend on how many parts there
 * are: {@link #commit()} renames them to {@code PREFIX.part.N}, N zero-padded to the digit count
 * of the number of parts. {@link #abort()} deletes everything this writer created.
 */
final class PartWriter extends OutputStream {

    /** A finished part: its final file name, size and hex SHA-1. */
    record WrittenPart(String filename, long size, String digest) {
    }

    private final Path directory;
    private final String prefix;
    private final long partSize;
    private final boolean durable;
    private final String token;
    private final MessageDigest sha1;
    private final List<Path> temporary = new ArrayList<>();
    private final List<Long> sizes = new ArrayList<>();
    private final List<String> digests = new ArrayList<>();
    private final List<Path> committed = new ArrayList<>();
    private FileChannel channel;
    private long inPart;
    private long total;
    private ByteBuffer wrapped = ByteBuffer.allocate(0);
    private boolean closed;

    PartWriter(Path directory, String prefix, long partSize, boolean durable, String token) {
        this.directory = directory;
        this.prefix = prefix;
        this.partSize = partSize;
        this.durable = durable;
        this.token = token;
        try {
            this.sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is always available", e);
        }
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) {
            throw new IOException("part writer is closed");
        }
        if (wrapped.array() != b) {
            wrapped = ByteBuffer.wrap(b);
        }
        while (len > 0) {
            if (channel == null) {
                open();
            }
            int n = (int) Math.min(len, partSize - inPart);
            sha1.update(b, off, n);
            wrapped.limit(off + n).position(off);
            while (wrapped.hasRemaining()) {
                channel.write(wrapped);
            }
            inPart += n;
            total += n;
            off += n;
            len -= n;
            if (inPart == partSize) {
                finishPart();
            }
        }
    }

    private void open() throws IOException {
        Path temp = directory.resolve("." + prefix + ".part." + temporary.size() + "." + token + ".tmp");
        temporary.add(temp);
        channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        inPart = 0;
        sha1.reset();
    }

    private void finishPart() throws IOException {
        if (durable) {
            channel.force(false);
        }
        channel.close();
        channel = null;
        sizes.add(inPart);
        digests.add(BundleCrypto.HEX.formatHex(sha1.digest()));
    }

    /** Finishes the last part. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        if (channel != null) {
            finishPart();
        }
    }

    /** Total bytes written over all parts. */
    long bytesWritten() {
        return total;
    }

    /** The parts so far with their final names (valid once closed). */
    List<WrittenPart> parts() {
        int count = sizes.size();
        int digits = Integer.toString(count).length();
        List<WrittenPart> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(new WrittenPart(partName(prefix, i, digits), sizes.get(i), digests.get(i)));
        }
        return out;
    }

    static String partName(String prefix, int index, int digits) {
        String n = Integer.toString(index);
        return prefix + ".part." + "0".repeat(Math.max(0, digits - n.length())) + n;
    }

    /** Renames every temporary part to its final name. */
    void commit() throws IOException {
        List<WrittenPart> parts = parts();
        for (int i = 0; i < parts.size(); i++) {
            Path target = directory.resolve(parts.get(i).filename());
            Files.move(temporary.get(i), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            committed.add(target);
        }
        temporary.clear();
    }

    /** Deletes every file this writer created (temporary or already renamed); never throws. */
    void abort() {
        closed = true;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // best effort
            }
            channel = null;
        }
        for (Path p : temporary) {
            deleteQuietly(p);
        }
        for (Path p : committed) {
            deleteQuietly(p);
        }
    }

    static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort cleanup
        }
    }
}
