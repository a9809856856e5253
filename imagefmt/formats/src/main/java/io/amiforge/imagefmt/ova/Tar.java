package io.amiforge.imagefmt.ova;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tar archive an OVA is (POSIX ustar, as the OVF specification asks): members are found
 * by walking the 512-byte headers, each checksum and size checked against the file; sizes of
 * 8 GiB and more use the base-256 size field (GNU), read and written. Long names, links and
 * other member types are skipped when reading; only regular files are written.
 */
final class Tar {

    static final int BLOCK = 512;
    private static final int MAX_MEMBERS = 4096;

    /** One regular file in the archive: its name, where its data starts, its size. */
    record Member(String name, long offset, long size) {
    }

    private Tar() {
    }

    /** Whether {@code header} (the first 512 bytes of a file) is a ustar header with a valid checksum. */
    static boolean isHeader(ByteBuffer header) {
        if (header.limit() < BLOCK) {
            return false;
        }
        byte[] magic = new byte[5];
        header.get(257, magic);
        return new String(magic, StandardCharsets.US_ASCII).equals("ustar") && checksumOk(header);
    }

    /** The name of the member whose header is {@code header}. */
    static String name(ByteBuffer header) {
        String name = text(header, 0, 100);
        String prefix = text(header, 345, 155);
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    /** Every regular file of the tar archive in {@code channel} ({@code name} for errors). */
    static List<Member> members(FileChannel channel, String name) throws IOException {
        long fileSize = channel.size();
        List<Member> members = new ArrayList<>();
        long at = 0;
        ByteBuffer header = ByteBuffer.allocate(BLOCK);
        while (at <= fileSize - BLOCK) {
            header.clear();
            channel.read(header, at);
            if (isZero(header)) {
                break; // end of archive
            }
            if (!isHeader(header)) {
                throw ImageFormatException.corrupt(name, "tar header at file offset 0x%x has no ustar magic or a wrong checksum".formatted(at));
            }
            long size = size(header, name, at);
            long data = at + BLOCK;
            if (size > fileSize - data) {
                throw ImageFormatException.corrupt(name, "tar member '%s' at file offset 0x%x says %d bytes, past the end of the file (size 0x%x)"
                        .formatted(name(header), at, size, fileSize));
            }
            byte type = header.get(156);
            if (type == '0' || type == 0) {
                members.add(new Member(name(header), data, size));
                if (members.size() > MAX_MEMBERS) {
                    throw ImageFormatException.corrupt(name, "more than " + MAX_MEMBERS + " members in the archive");
                }
            }
            at = data + ((size + BLOCK - 1) & -(long) BLOCK);
        }
        return members;
    }

    private static long size(ByteBuffer header, String name, long at) {
        if ((header.get(124) & 0x80) != 0) { // base-256
            long value = 0;
            for (int i = 125; i < 136; i++) {
                value = (value << 8) | (header.get(i) & 0xff);
            }
            if (value < 0 || (header.get(124) & 0x7f) != 0) {
                throw ImageFormatException.corrupt(name, "tar header at file offset 0x%x: size field out of range".formatted(at));
            }
            return value;
        }
        String octal = text(header, 124, 12).trim();
        try {
            return octal.isEmpty() ? 0 : Long.parseLong(octal, 8);
        } catch (NumberFormatException e) {
            throw ImageFormatException.corrupt(name, "tar header at file offset 0x%x: size field '%s' is not octal".formatted(at, octal));
        }
    }

    /** A ustar header for a regular file {@code name} of {@code size} bytes. */
    static ByteBuffer header(String name, long size, long mtime) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 99) {
            throw new IllegalArgumentException("tar member name longer than 99 bytes: " + name);
        }
        ByteBuffer h = ByteBuffer.allocate(BLOCK);
        h.put(0, bytes);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        if (size < 077777777777L) {
            put(h, 124, "%011o".formatted(size));
        } else {
            h.put(124, (byte) 0x80);
            for (int i = 135; i >= 125; i--) {
                h.put(i, (byte) (size >>> (8 * (135 - i))));
            }
        }
        put(h, 136, "%011o".formatted(mtime));
        h.put(156, (byte) '0');
        put(h, 257, "ustar");
        put(h, 263, "00");
        for (int i = 148; i < 156; i++) {
            h.put(i, (byte) ' ');
        }
        put(h, 148, "%06o".formatted(sum(h)));
        h.put(154, (byte) 0);
        return h;
    }

    private static boolean checksumOk(ByteBuffer header) {
        String stored = text(header, 148, 8).trim();
        try {
            return !stored.isEmpty() && Long.parseLong(stored, 8) == sumWithBlankField(header);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static long sumWithBlankField(ByteBuffer header) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += i >= 148 && i < 156 ? ' ' : header.get(i) & 0xff;
        }
        return sum;
    }

    private static long sum(ByteBuffer header) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += header.get(i) & 0xff;
        }
        return sum;
    }

    private static boolean isZero(ByteBuffer header) {
        for (int i = 0; i < BLOCK; i++) {
            if (header.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static void put(ByteBuffer h, int at, String text) {
        h.put(at, text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(ByteBuffer header, int at, int length) {
        int end = at;
        while (end < at + length && header.get(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - at];
        header.get(at, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Wraps an I/O failure on {@code file}. */
    static BlockDeviceException io(Path file, String what, IOException e) {
        return new BlockDeviceException.Io(file.toString(), what, e);
    }
}
