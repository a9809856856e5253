package io.amiforge.imagefmt.vhdx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

/** GUIDs as VHDX stores them: the first three fields little-endian, the last eight bytes as they are. */
final class Guids {

    static final UUID BAT = UUID.fromString("2dc27766-f623-4200-9d64-115e9bfd4a08");
    static final UUID METADATA = UUID.fromString("8b7ca206-4790-4b9a-b8fe-575f050f886e");
    static final UUID FILE_PARAMETERS = UUID.fromString("caa16737-fa36-4d43-b3b6-33f0aa44e76b");
    static final UUID VIRTUAL_DISK_SIZE = UUID.fromString("2fa54224-cd1b-4876-b211-5dbed83bf4b8");
    static final UUID VIRTUAL_DISK_ID = UUID.fromString("beca12ab-b2e6-4523-93ef-c309e000c746");
    static final UUID LOGICAL_SECTOR_SIZE = UUID.fromString("8141bf1d-a96f-4709-ba47-f233a8faab5f");
    static final UUID PHYSICAL_SECTOR_SIZE = UUID.fromString("cda348c7-445d-4471-9cc9-e9885251c556");
    static final UUID PARENT_LOCATOR = UUID.fromString("a8d35f2d-b30b-454d-abf7-d3d84834ab0c");

    private Guids() {
    }

    /** The GUID at {@code at} of {@code b}. */
    static UUID read(ByteBuffer b, int at) {
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long data1 = le.getInt(at) & 0xffffffffL;
        long data2 = le.getShort(at + 4) & 0xffffL;
        long data3 = le.getShort(at + 6) & 0xffffL;
        long high = (data1 << 32) | (data2 << 16) | data3;
        long low = b.duplicate().order(ByteOrder.BIG_ENDIAN).getLong(at + 8);
        return new UUID(high, low);
    }

    /** Writes {@code guid} at {@code at} of {@code b} the way {@link #read} reads it. */
    static void write(ByteBuffer b, int at, UUID guid) {
        long high = guid.getMostSignificantBits();
        ByteBuffer le = b.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        le.putInt(at, (int) (high >>> 32)).putShort(at + 4, (short) (high >>> 16)).putShort(at + 6, (short) high);
        b.duplicate().order(ByteOrder.BIG_ENDIAN).putLong(at + 8, guid.getLeastSignificantBits());
    }
}
