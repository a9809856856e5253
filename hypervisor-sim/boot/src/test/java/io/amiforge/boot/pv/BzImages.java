package io.amiforge.boot.pv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Test fixture: wraps a compressed payload into a minimal bzImage (boot protocol 2.15) as the kernel's build does. */
final class BzImages {

    static final int SETUP_SECTS = 3;
    static final int PAYLOAD_OFFSET = 0x120;

    private BzImages() {
    }

    /**
     * A bzImage whose protected-mode part holds {@code PAYLOAD_OFFSET} bytes of stand-in
     * decompressor code, then {@code compressed} followed by the little-endian 32-bit size of
     * the uncompressed ELF (as {@code size_append} writes it), then 16 bytes of padding.
     */
    static byte[] wrap(byte[] compressed, int uncompressedSize) {
        int setup = (SETUP_SECTS + 1) * 512;
        int payloadLength = compressed.length + 4;
        ByteBuffer b = ByteBuffer.allocate(setup + PAYLOAD_OFFSET + payloadLength + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0x1f1, (byte) SETUP_SECTS);
        b.putShort(0x1fe, (short) 0xaa55);
        b.put(0x202, new byte[] {'H', 'd', 'r', 'S'});
        b.putShort(0x206, (short) 0x020f);
        b.putShort(0x20e, (short) 0x200); // kernel_version string at 0x400
        b.put(0x400, "6.99.0-test (builder@amiforge) #1\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        b.putInt(0x248, PAYLOAD_OFFSET);
        b.putInt(0x24c, payloadLength);
        for (int i = 0; i < PAYLOAD_OFFSET; i++) {
            b.put(setup + i, (byte) 0x90);
        }
        b.put(setup + PAYLOAD_OFFSET, compressed);
        b.putInt(setup + PAYLOAD_OFFSET + compressed.length, uncompressedSize);
        return b.array();
    }
}
