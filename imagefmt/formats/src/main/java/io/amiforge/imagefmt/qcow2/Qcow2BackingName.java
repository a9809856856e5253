package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Rewrites the backing file name and backing format of a qcow2 file in its header cluster:
 * the header fields are kept, every header extension except the backing format is kept byte
 * for byte in its order, the new backing format extension (if any) comes first, then the end
 * marker, then the name; the rest of the old header area is zeroed. Refused when it does not
 * fit in the first cluster.
 */
final class Qcow2BackingName {

    private static final int BACKING_FILE_OFFSET = 8;

    private Qcow2BackingName() {
    }

    /** Points {@code h}'s file at {@code name} ({@code null}: no backing file) in {@code format} ({@code null}: none recorded). */
    static void write(Qcow2File file, Qcow2Header h, String name, String format) {
        int cs = h.clusterSize();
        ByteBuffer cluster = file.readMetadata(0, (int) Math.min(cs, file.size()), "header cluster");
        byte[] nameBytes = name == null ? new byte[0] : name.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length > 1023) {
            throw ImageFormatException.unsupported(file.name(), "backing file name is " + nameBytes.length + " bytes, more than 1023");
        }
        ByteBuffer out = ByteBuffer.allocate(cs);
        out.put(cluster.duplicate().limit(h.headerLength));
        if (format != null && !format.isEmpty()) {
            byte[] f = format.getBytes(StandardCharsets.UTF_8);
            out.putInt(Qcow2Header.EXT_BACKING_FORMAT).putInt(f.length).put(f);
            out.position((out.position() + 7) & ~7);
        }
        int pos = h.headerLength;
        int oldEnd = h.headerLength;
        while (pos + 8 <= cluster.limit()) {
            int type = cluster.getInt(pos);
            long length = Integer.toUnsignedLong(cluster.getInt(pos + 4));
            if (type == Qcow2Header.EXT_END) {
                oldEnd = pos + 8;
                break;
            }
            int padded = Math.toIntExact(8 + ((length + 7) & ~7L));
            if (type != Qcow2Header.EXT_BACKING_FORMAT) {
                if (out.remaining() < padded + 8 + nameBytes.length) {
                    throw tooBig(file, cs);
                }
                out.put(cluster.duplicate().position(pos).limit(pos + padded));
            }
            pos += padded;
            oldEnd = pos;
        }
        if (out.remaining() < 8 + nameBytes.length) {
            throw tooBig(file, cs);
        }
        out.putLong(0); // end of extensions, written for version 2 too, as qemu does
        long nameOffset = 0;
        if (nameBytes.length > 0) {
            if (out.remaining() < nameBytes.length) {
                throw tooBig(file, cs);
            }
            nameOffset = out.position();
            out.put(nameBytes);
        }
        int end = Math.max(out.position(), Math.max(oldEnd, (int) Math.min(cluster.limit(), h.backingFileOffset + h.backingFileSize)));
        out.putLong(BACKING_FILE_OFFSET, nameOffset).putInt(BACKING_FILE_OFFSET + 8, nameBytes.length);
        file.force();
        file.writeMetadata(0, out.limit(end).position(0), "header cluster");
        file.force();
    }

    private static ImageFormatException tooBig(Qcow2File file, int cs) {
        return ImageFormatException.unsupported(file.name(), "the header extensions and the backing file name do not fit in the first cluster ("
                + cs + " bytes)");
    }
}
