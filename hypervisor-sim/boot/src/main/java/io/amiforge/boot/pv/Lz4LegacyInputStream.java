package io.amiforge.boot.pv;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream;

/**
 * Decodes the legacy LZ4 frame format that {@code lz4 -l} writes and the Linux kernel uses for
 * LZ4-compressed images: a 4-byte magic 0x184C2102, then blocks, each a little-endian 32-bit
 * compressed length followed by one raw LZ4 block of at most 8 MiB of output. Each block is
 * decoded by Commons Compress's {@link BlockLZ4CompressorInputStream}. The stream ends at the
 * end of the input or before a trailing 4-byte word that cannot start a block (the kernel's
 * appended uncompressed size); a repeated magic (concatenated frames) is skipped.
 */
final class Lz4LegacyInputStream extends InputStream {

    static final int MAGIC = 0x184C2102;
    private static final int MAX_BLOCK_OUT = 8 << 20;
    /** LZ4_compressBound(8 MiB). */
    private static final int MAX_BLOCK_IN = MAX_BLOCK_OUT + MAX_BLOCK_OUT / 255 + 16;

    private final byte[] in;
    private final int end;
    private int pos;
    private InputStream block;

    Lz4LegacyInputStream(byte[] in, int offset, int length) throws IOException {
        this.in = in;
        this.end = offset + length;
        if (length < 4 || le32(offset) != MAGIC) {
            throw new IOException("not a legacy LZ4 frame (magic 0x184c2102 missing)");
        }
        this.pos = offset + 4;
    }

    private int le32(int at) {
        return (in[at] & 0xff) | (in[at + 1] & 0xff) << 8 | (in[at + 2] & 0xff) << 16 | (in[at + 3] & 0xff) << 24;
    }

    private boolean nextBlock() throws IOException {
        while (true) {
            int left = end - pos;
            if (left < 4) {
                return false;
            }
            int size = le32(pos);
            if (size == MAGIC) {
                pos += 4;
                continue;
            }
            if (left == 4) {
                return false; // the kernel's appended uncompressed size
            }
            if (size <= 0 || size > MAX_BLOCK_IN) {
                throw new IOException("LZ4 block at payload offset " + pos + " has length " + Integer.toUnsignedString(size)
                        + ", expected 1.." + MAX_BLOCK_IN);
            }
            if (size > left - 4) {
                throw new IOException("LZ4 block at payload offset " + pos + " needs " + size + " bytes but only "
                        + (left - 4) + " remain: truncated payload");
            }
            block = new BlockLZ4CompressorInputStream(new ByteArrayInputStream(in, pos + 4, size));
            pos += 4 + size;
            return true;
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            if (block != null) {
                int n = block.read(b, off, len);
                if (n >= 0) {
                    return n;
                }
                block = null;
            }
            if (!nextBlock()) {
                return -1;
            }
        }
    }
}
