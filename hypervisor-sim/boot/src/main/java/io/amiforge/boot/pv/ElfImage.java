package io.amiforge.boot.pv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A little-endian ELF executable (32 or 64 bit) read from a byte array: header, program
 * headers, the notes of its PT_NOTE segments (or SHT_NOTE sections when it has no PT_NOTE),
 * and the legacy {@code __xen_guest} section. Every offset and size from the file is checked
 * against the file's length; a violation is a {@link PvBootException} naming the field, the
 * file offset, and what was expected. Section headers are optional: bad ones are ignored
 * (stripped kernels may lack them), bad program headers are not.
 */
public final class ElfImage {

    /** {@code PT_LOAD}. */
    public static final int PT_LOAD = 1;
    /** {@code PT_NOTE}. */
    public static final int PT_NOTE = 4;
    /** {@code EM_386}. */
    public static final int EM_386 = 3;
    /** {@code EM_X86_64}. */
    public static final int EM_X86_64 = 62;
    private static final int SHT_NOTE = 7;
    private static final int MAX_NOTES = 4096;

    /** One program header; addresses and sizes are unsigned 64-bit values. */
    public record Segment(int index, int type, int flags, long offset, long vaddr, long paddr,
                          long fileSize, long memSize, long align) {
    }

    /** One ELF note: owner name, type, descriptor bytes, and the file offset of its header. */
    public record Note(String name, int type, byte[] desc, long fileOffset) {
    }

    private final String name;
    private final byte[] data;
    private final boolean is64;
    private final int machine;
    private final long entry;
    private final List<Segment> segments;
    private final List<Note> notes;
    private final String xenGuestSection;
    private final List<String> warnings;

    private ElfImage(String name, byte[] data, boolean is64, int machine, long entry, List<Segment> segments,
                     List<Note> notes, String xenGuestSection, List<String> warnings) {
        this.name = name;
        this.data = data;
        this.is64 = is64;
        this.machine = machine;
        this.entry = entry;
        this.segments = List.copyOf(segments);
        this.notes = List.copyOf(notes);
        this.xenGuestSection = xenGuestSection;
        this.warnings = List.copyOf(warnings);
    }

    /** Whether {@code data} starts with the ELF magic. */
    public static boolean isElf(byte[] data) {
        return data.length >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
    }

    /** Parses {@code data}; {@code name} names the image in messages ("/boot/vmlinux", "bzImage payload"). */
    public static ElfImage parse(String name, byte[] data) {
        if (!isElf(data)) {
            throw fail(name, 0, "no ELF magic (7f 45 4c 46)");
        }
        if (data.length < 52) {
            throw fail(name, 0, "truncated ELF header: " + data.length + " bytes, need at least 52");
        }
        int cls = data[4] & 0xff;
        if (cls != 1 && cls != 2) {
            throw fail(name, 4, "EI_CLASS " + cls + ", expected 1 (32-bit) or 2 (64-bit)");
        }
        if ((data[5] & 0xff) != 1) {
            throw fail(name, 5, "EI_DATA " + (data[5] & 0xff) + ", expected 1 (little-endian, as on x86)");
        }
        boolean is64 = cls == 2;
        if (is64 && data.length < 64) {
            throw fail(name, 0, "truncated ELF64 header: " + data.length + " bytes, need 64");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int type = b.getShort(16) & 0xffff;
        if (type != 2 && type != 3) {
            throw fail(name, 16, "e_type " + type + ", expected 2 (executable) or 3 (shared object)");
        }
        int machine = b.getShort(18) & 0xffff;
        long entry = is64 ? b.getLong(24) : b.getInt(24) & 0xffffffffL;
        long phoff = is64 ? b.getLong(32) : b.getInt(28) & 0xffffffffL;
        long shoff = is64 ? b.getLong(40) : b.getInt(32) & 0xffffffffL;
        int phentsize = b.getShort(is64 ? 54 : 42) & 0xffff;
        int phnum = b.getShort(is64 ? 56 : 44) & 0xffff;
        int shentsize = b.getShort(is64 ? 58 : 46) & 0xffff;
        int shnum = b.getShort(is64 ? 60 : 48) & 0xffff;
        int shstrndx = b.getShort(is64 ? 62 : 50) & 0xffff;

        int minPh = is64 ? 56 : 32;
        if (phnum == 0) {
            throw fail(name, is64 ? 56 : 44, "no program headers (e_phnum 0): nothing to load");
        }
        if (phentsize < minPh) {
            throw fail(name, is64 ? 54 : 42, "e_phentsize " + phentsize + ", expected at least " + minPh);
        }
        long phEnd = checkedEnd(phoff, (long) phentsize * phnum);
        if (phEnd < 0 || phEnd > data.length) {
            throw fail(name, is64 ? 32 : 28, "program headers at 0x" + Long.toHexString(phoff) + " (" + phnum + " x "
                    + phentsize + " bytes) run past the end of the file (0x" + Integer.toHexString(data.length) + " bytes): truncated ELF?");
        }
        List<Segment> segments = new ArrayList<>(phnum);
        for (int i = 0; i < phnum; i++) {
            int o = (int) (phoff + (long) i * phentsize);
            Segment s;
            if (is64) {
                s = new Segment(i, b.getInt(o), b.getInt(o + 4), b.getLong(o + 8), b.getLong(o + 16), b.getLong(o + 24),
                        b.getLong(o + 32), b.getLong(o + 40), b.getLong(o + 48));
            } else {
                s = new Segment(i, b.getInt(o), b.getInt(o + 24), u32(b, o + 4), u32(b, o + 8), u32(b, o + 12),
                        u32(b, o + 16), u32(b, o + 20), u32(b, o + 28));
            }
            segments.add(s);
        }

        List<String> warnings = new ArrayList<>();
        List<Note> notes = new ArrayList<>();
        for (Segment s : segments) {
            if (s.type() == PT_NOTE && s.fileSize() > 0) {
                long end = checkedEnd(s.offset(), s.fileSize());
                if (end < 0 || end > data.length) {
                    throw fail(name, s.offset(), "PT_NOTE segment " + s.index() + " (0x" + Long.toHexString(s.fileSize())
                            + " bytes) runs past the end of the file (0x" + Integer.toHexString(data.length) + " bytes): truncated ELF?");
                }
                readNotes(name, b, s.offset(), end, s.align() == 8 ? 8 : 4, notes);
            }
        }

        String xenGuest = null;
        long shEnd = shnum == 0 ? -1 : checkedEnd(shoff, (long) shentsize * shnum);
        int minSh = is64 ? 64 : 40;
        if (shnum != 0 && (shentsize < minSh || shEnd < 0 || shEnd > data.length || shstrndx >= shnum)) {
            warnings.add("section headers at 0x" + Long.toHexString(shoff) + " are out of range; ignored");
        } else if (shnum != 0) {
            long[] strtab = section(b, is64, shoff, shentsize, shstrndx);
            boolean strtabOk = inFile(strtab[1], strtab[2], data.length);
            boolean haveSegmentNotes = !notes.isEmpty();
            for (int i = 0; i < shnum; i++) {
                long[] sh = section(b, is64, shoff, shentsize, i);
                if (!inFile(sh[1], sh[2], data.length)) {
                    continue;
                }
                if (sh[0] == SHT_NOTE && !haveSegmentNotes && sh[2] > 0) {
                    readNotes(name, b, sh[1], sh[1] + sh[2], 4, notes);
                }
                if (strtabOk && sh[3] < strtab[2]) {
                    String sname = cString(data, (int) (strtab[1] + sh[3]), (int) (strtab[1] + strtab[2]));
                    if (sname.equals("__xen_guest") && sh[2] > 0) {
                        int start = (int) sh[1];
                        xenGuest = cString(data, start, (int) Math.min(data.length, start + Math.min(sh[2], 4096)));
                    }
                }
            }
        }
        return new ElfImage(name, data, is64, machine, entry, segments, notes, xenGuest, warnings);
    }

    private static void readNotes(String name, ByteBuffer b, long start, long end, int align, List<Note> out) {
        long p = start;
        while (end - p >= 12) {
            long namesz = b.getInt((int) p) & 0xffffffffL;
            long descsz = b.getInt((int) p + 4) & 0xffffffffL;
            int type = b.getInt((int) p + 8);
            long nameAt = p + 12;
            long descAt = nameAt + roundUp(namesz, align);
            long next = descAt + roundUp(descsz, align);
            if (descAt + descsz > end || nameAt + namesz > end) {
                throw fail(name, p, "ELF note (namesz " + namesz + ", descsz " + descsz + ") runs past the end of its "
                        + "note area at 0x" + Long.toHexString(end));
            }
            if (out.size() >= MAX_NOTES) {
                throw fail(name, p, "more than " + MAX_NOTES + " ELF notes");
            }
            byte[] array = b.array();
            String owner = cString(array, (int) nameAt, (int) (nameAt + namesz));
            byte[] desc = new byte[(int) descsz];
            System.arraycopy(array, (int) descAt, desc, 0, desc.length);
            out.add(new Note(owner, type, desc, p));
            p = Math.min(next, end);
        }
    }

    private static long[] section(ByteBuffer b, boolean is64, long shoff, int shentsize, int i) {
        int o = (int) (shoff + (long) i * shentsize);
        if (is64) {
            return new long[] {b.getInt(o + 4) & 0xffffffffL, b.getLong(o + 24), b.getLong(o + 32), b.getInt(o) & 0xffffffffL};
        }
        return new long[] {u32(b, o + 4), u32(b, o + 16), u32(b, o + 20), u32(b, o)};
    }

    private static boolean inFile(long offset, long size, int length) {
        long end = checkedEnd(offset, size);
        return end >= 0 && end <= length;
    }

    /** {@code offset + size} when both are non-negative and the sum does not overflow, else -1. */
    static long checkedEnd(long offset, long size) {
        if (offset < 0 || size < 0) {
            return -1;
        }
        long end = offset + size;
        return end < 0 ? -1 : end;
    }

    private static long roundUp(long v, int align) {
        return (v + align - 1) & -align;
    }

    private static long u32(ByteBuffer b, int o) {
        return b.getInt(o) & 0xffffffffL;
    }

    static String cString(byte[] data, int from, int to) {
        int end = from;
        while (end < to && end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, from, end - from, StandardCharsets.ISO_8859_1);
    }

    static PvBootException fail(String name, long offset, String message) {
        return new PvBootException("InvalidKernelImage", name + " offset 0x" + Long.toHexString(offset), message);
    }

    /** The name used in messages. */
    public String name() {
        return name;
    }

    /** The image bytes (not copied). */
    public byte[] data() {
        return data;
    }

    /** Whether this is ELFCLASS64. */
    public boolean is64() {
        return is64;
    }

    /** {@code e_machine}. */
    public int machine() {
        return machine;
    }

    /** {@code e_entry}. */
    public long entry() {
        return entry;
    }

    /** The program headers in file order. */
    public List<Segment> segments() {
        return segments;
    }

    /** Every note found (any owner). */
    public List<Note> notes() {
        return notes;
    }

    /** The legacy {@code __xen_guest} section's string, or null. */
    public String xenGuestSection() {
        return xenGuestSection;
    }

    /** Things that were wrong but did not stop parsing. */
    public List<String> warnings() {
        return warnings;
    }
}
