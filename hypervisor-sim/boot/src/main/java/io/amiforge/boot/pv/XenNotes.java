package io.amiforge.boot.pv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The Xen guest parameters of a kernel, from its "Xen" ELF notes or, for old kernels, the
 * legacy {@code __xen_guest} section string ({@code GUEST_OS=linux,XEN_VER=xen-3.0,...}).
 * Strings and numbers are kept apart; {@link #asReport()} gives them in the note names of
 * Xen's {@code elfnote.h} for the boot report.
 */
public final class XenNotes {

    private final Map<XenNoteType, String> strings = new EnumMap<>(XenNoteType.class);
    private final Map<XenNoteType, Long> numbers = new EnumMap<>(XenNoteType.class);
    private final Map<String, Object> report = new LinkedHashMap<>();
    private String source = "none";
    private boolean legacy;

    private XenNotes() {
    }

    /** Reads the Xen parameters of {@code elf}: its "Xen" notes, else its {@code __xen_guest} section. */
    public static XenNotes of(ElfImage elf) {
        XenNotes n = new XenNotes();
        for (ElfImage.Note note : elf.notes()) {
            if (!note.name().equals("Xen")) {
                continue;
            }
            n.source = "ELF notes";
            XenNoteType type = XenNoteType.of(note.type());
            byte[] d = note.desc();
            if (type == null) {
                n.report.put("type " + note.type(), d.length + " bytes");
                continue;
            }
            if (type.isString()) {
                String s = ElfImage.cString(d, 0, d.length);
                n.strings.put(type, s);
                n.report.put(type.name(), s);
            } else {
                ByteBuffer b = ByteBuffer.wrap(d).order(ByteOrder.LITTLE_ENDIAN);
                Long v = switch (d.length) {
                    case 1 -> (long) (d[0] & 0xff);
                    case 2 -> (long) (b.getShort(0) & 0xffff);
                    case 4 -> b.getInt(0) & 0xffffffffL;
                    case 8 -> b.getLong(0);
                    default -> null;
                };
                if (type == XenNoteType.L1_MFN_VALID && d.length >= 8) {
                    v = d.length == 16 ? b.getLong(0) : b.getInt(0) & 0xffffffffL;
                }
                if (v == null) {
                    n.report.put(type.name(), "(" + d.length + "-byte value, expected 4 or 8)");
                    continue;
                }
                n.numbers.put(type, v);
                n.report.put(type.name(), "0x" + Long.toHexString(v));
            }
        }
        if (n.strings.isEmpty() && n.numbers.isEmpty() && elf.xenGuestSection() != null) {
            n.parseLegacy(elf.xenGuestSection());
            if (n.any() && !n.numbers.containsKey(XenNoteType.ENTRY)) {
                // Legacy kernels without VIRT_ENTRY start at e_entry, as Xen's builder assumes.
                n.numbers.put(XenNoteType.ENTRY, elf.entry());
                n.report.put("VIRT_ENTRY", "0x" + Long.toHexString(elf.entry()) + " (e_entry)");
            }
        }
        return n;
    }

    private void parseLegacy(String text) {
        source = "__xen_guest section";
        legacy = true;
        for (String item : text.split(",")) {
            int eq = item.indexOf('=');
            String key = (eq < 0 ? item : item.substring(0, eq)).strip().toUpperCase(Locale.ROOT);
            String value = eq < 0 ? "" : item.substring(eq + 1).strip();
            report.put(key, value);
            switch (key) {
                case "GUEST_OS" -> strings.put(XenNoteType.GUEST_OS, value);
                case "GUEST_VER" -> strings.put(XenNoteType.GUEST_VERSION, value);
                case "XEN_VER" -> strings.put(XenNoteType.XEN_VERSION, value);
                case "LOADER" -> strings.put(XenNoteType.LOADER, value);
                case "FEATURES" -> strings.put(XenNoteType.FEATURES, value);
                case "PAE" -> strings.put(XenNoteType.PAE_MODE, value);
                case "VIRT_BASE" -> putNumber(XenNoteType.VIRT_BASE, value);
                case "ELF_PADDR_OFFSET" -> putNumber(XenNoteType.PADDR_OFFSET, value);
                case "VIRT_ENTRY" -> putNumber(XenNoteType.ENTRY, value);
                case "HYPERCALL_PAGE" -> putNumber(XenNoteType.HYPERCALL_PAGE, value);
                default -> {
                }
            }
        }
    }

    private void putNumber(XenNoteType type, String value) {
        String v = value.toLowerCase(Locale.ROOT);
        try {
            long n = v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseUnsignedLong(v);
            numbers.put(type, n);
        } catch (NumberFormatException e) {
            report.put(type.name(), value + " (not a number; ignored)");
        }
    }

    /** Where the parameters came from: "ELF notes", "__xen_guest section" or "none". */
    public String source() {
        return source;
    }

    /** Whether they came from the legacy {@code __xen_guest} string (HYPERCALL_PAGE is then a page number). */
    public boolean legacy() {
        return legacy;
    }

    /** Whether any Xen parameter was found. */
    public boolean any() {
        return !strings.isEmpty() || !numbers.isEmpty();
    }

    /** The string value of {@code type}, or null. */
    public String string(XenNoteType type) {
        return strings.get(type);
    }

    /** The numeric value of {@code type}, or null. */
    public Long number(XenNoteType type) {
        return numbers.get(type);
    }

    /** All values found, by their elfnote.h names, numbers in hex: for reports. */
    public Map<String, Object> asReport() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(report));
    }
}
