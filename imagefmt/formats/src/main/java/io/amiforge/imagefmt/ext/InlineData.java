package io.amiforge.imagefmt.ext;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * ext4 inline data: a small file's or directory's bytes kept in the inode itself, first in
 * i_block, then in the value of the in-inode extended attribute {@code system.data}. The
 * attribute's bounds are checked against the inode; a missing attribute means no more bytes.
 */
final class InlineData {

    private InlineData() {
    }

    /** i_block's 60 bytes followed by the value of the in-inode attribute "system.data". */
    static byte[] of(Inode inode, String fs) {
        byte[] head = Arrays.copyOfRange(inode.raw, Inode.I_BLOCK, Inode.I_BLOCK + Inode.I_BLOCK_SIZE);
        byte[] rest = systemData(inode, fs);
        byte[] all = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        return all;
    }

    private static byte[] systemData(Inode inode, String fs) {
        int start = 128 + inode.extraIsize();
        byte[] raw = inode.raw;
        if (raw.length <= 128 || start + 4 > raw.length) {
            return new byte[0];
        }
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt(start) != 0xEA020000) {
            return new byte[0];
        }
        int first = start + 4;
        int at = first;
        while (at + 16 <= raw.length && b.getInt(at) != 0) {
            int nameLen = raw[at] & 0xFF;
            int index = raw[at + 1] & 0xFF;
            int valueOffs = Short.toUnsignedInt(b.getShort(at + 2));
            long valueSize = Integer.toUnsignedLong(b.getInt(at + 8));
            if (at + 16 + nameLen > raw.length) {
                break;
            }
            if (index == 7 && nameLen == 4 && new String(raw, at + 16, 4, StandardCharsets.US_ASCII).equals("data")) {
                if (first + valueOffs + valueSize > raw.length) {
                    throw ExtErrors.corrupt(fs, "inode %d: inline data attribute [%d, +%d) runs past the inode (%d bytes)"
                            .formatted(inode.number, valueOffs, valueSize, raw.length));
                }
                return Arrays.copyOfRange(raw, first + valueOffs, (int) (first + valueOffs + valueSize));
            }
            at += (16 + nameLen + 3) & ~3;
        }
        return new byte[0];
    }
}
