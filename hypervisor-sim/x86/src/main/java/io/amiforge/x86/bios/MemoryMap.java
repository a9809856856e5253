package io.amiforge.x86.bios;

import java.util.List;

/**
 * The E820 memory map the BIOS reports (INT 15h EAX=E820h) for a machine of a given memory
 * size: conventional memory below the EBDA usable, the EBDA and the BIOS ROM reserved,
 * everything from 1 MiB up usable.
 */
public record MemoryMap(List<Entry> entries) {

    /** E820 type of usable RAM. */
    public static final int USABLE = 1;
    /** E820 type of reserved memory. */
    public static final int RESERVED = 2;

    public MemoryMap {
        entries = List.copyOf(entries);
    }

    /** One range: base, length in bytes, E820 type. */
    public record Entry(long base, long length, int type) {
    }

    /** The map of a machine with {@code memoryBytes} of memory (at least 1 MiB). */
    public static MemoryMap of(long memoryBytes) {
        long base = BiosDataArea.BASE_MEMORY_KB * 1024L;
        return new MemoryMap(List.of(
                new Entry(0, base, USABLE),
                new Entry(base, 0xA0000 - base, RESERVED),
                new Entry(0xF0000, 0x10000, RESERVED),
                new Entry(0x100000, memoryBytes - 0x100000, USABLE)));
    }
}
