package io.amiforge.store.remote;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.objects.ObjectInfo;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStoreException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Checks one packed layer object as stored, reading it whole in ranged reads (no cache):
 * size and whole-object CRC32C against the catalogue and the trailer, the header, the index, and
 * every data block's CRC32C. Each problem is one line naming the object key and byte offset.
 */
final class ObjectVerifier {

    private static final int PIECE = 8 << 20;

    private ObjectVerifier() {
    }

    /** Verifies {@code r}'s object, adding problems to {@code damage}; returns the data blocks checked. */
    static long verify(ObjectStore objects, RemoteSnapshot r, List<String> damage) {
        String key = r.layerKey();
        String where = "snapshot " + r.id() + ": object " + key;
        ObjectInfo info;
        try {
            info = objects.head(key);
        } catch (ObjectStoreException e) {
            damage.add(where + ": " + e.getMessage());
            return 0;
        }
        if (info == null) {
            damage.add(where + ": missing");
            return 0;
        }
        if (info.size() != r.objectSize()) {
            damage.add(where + ": " + info.size() + " bytes, the catalogue says " + r.objectSize());
            return 0;
        }
        long size = info.size();
        ByteBuffer headBuf = ByteBuffer.allocate((int) Math.min(size, PackFormat.HEADER)).order(ByteOrder.LITTLE_ENDIAN);
        objects.read(key, 0, headBuf);
        PackFormat.Header h;
        try {
            h = PackFormat.Header.parse(headBuf.flip(), size, where);
        } catch (BlockDeviceException.Corrupt e) {
            damage.add(e.getMessage());
            return 0;
        }
        ByteBuffer index = ByteBuffer.allocate((int) (h.entries() * PackFormat.ENTRY)).order(ByteOrder.LITTLE_ENDIAN);
        objects.read(key, PackFormat.HEADER, index);
        index.flip();
        CRC32C crc = new CRC32C();
        crc.update(index.duplicate());
        if ((int) crc.getValue() != h.indexCrc()) {
            damage.add(where + ": byte " + PackFormat.HEADER + ": index checksum mismatch (stored CRC32C " + Integer.toHexString(h.indexCrc())
                    + ", index has " + Integer.toHexString((int) crc.getValue()) + ")");
        }
        // whole object, and each data block as it streams by (data is in slot order)
        CRC32C whole = new CRC32C();
        CRC32C block = new CRC32C();
        int bs = h.blockSize();
        long[] slotCrc = new long[(int) h.dataBlocks()];
        long[] slotBlock = new long[(int) h.dataBlocks()];
        java.util.Arrays.fill(slotCrc, -1);
        for (int i = 0; i < h.entries(); i++) {
            long b = index.getLong(i * PackFormat.ENTRY);
            int slot = index.getInt(i * PackFormat.ENTRY + 8);
            if (slot != PackFormat.ZERO_SLOT && Integer.toUnsignedLong(slot) < slotCrc.length) {
                slotCrc[slot] = Integer.toUnsignedLong(index.getInt(i * PackFormat.ENTRY + 12));
                slotBlock[slot] = b;
            }
        }
        long body = size - PackFormat.TRAILER;
        ByteBuffer piece = ByteBuffer.allocate(PIECE);
        long checked = 0;
        for (long pos = 0; pos < body; pos += PIECE) {
            int len = (int) Math.min(PIECE, body - pos);
            piece.clear().limit(len);
            objects.read(key, pos, piece);
            piece.flip();
            whole.update(piece.duplicate());
            long first = Math.max(pos, h.dataOffset());
            for (long at = first; at + bs <= pos + len; at += bs) {
                long slot = (at - h.dataOffset()) / bs;
                block.reset();
                block.update(piece.duplicate().position((int) (at - pos)).limit((int) (at - pos + bs)));
                checked++;
                if (slotCrc[(int) slot] != (block.getValue() & 0xFFFF_FFFFL)) {
                    damage.add(where + ": byte offset " + at + " (block " + slotBlock[(int) slot] + ") is damaged (stored CRC32C "
                            + Long.toHexString(slotCrc[(int) slot]) + ", data has " + Long.toHexString(block.getValue()) + ")");
                }
            }
        }
        ByteBuffer trailer = ByteBuffer.allocate(PackFormat.TRAILER);
        objects.read(key, body, trailer);
        int have = (int) whole.getValue();
        try {
            int stored = PackFormat.trailerCrc(trailer.flip(), where);
            if (stored != have || r.objectCrc() != have) {
                damage.add(where + ": whole-object checksum mismatch (trailer " + Integer.toHexString(stored) + ", catalogue "
                        + Integer.toHexString(r.objectCrc()) + ", object has " + Integer.toHexString(have) + ")");
            }
        } catch (BlockDeviceException.Corrupt e) {
            damage.add(e.getMessage() + " (byte " + body + ")");
        }
        return checked;
    }
}
