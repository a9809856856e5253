package io.amiforge.boot.pv;

/**
 * The Xen ELF note types of Xen's public {@code elfnote.h} (notes with owner "Xen"), and
 * whether each carries a string or a number (4 or 8 bytes, little-endian).
 */
public enum XenNoteType {
    INFO(0, true),
    ENTRY(1, false),
    HYPERCALL_PAGE(2, false),
    VIRT_BASE(3, false),
    PADDR_OFFSET(4, false),
    XEN_VERSION(5, true),
    GUEST_OS(6, true),
    GUEST_VERSION(7, true),
    LOADER(8, true),
    PAE_MODE(9, true),
    FEATURES(10, true),
    BSD_SYMTAB(11, true),
    HV_START_LOW(12, false),
    L1_MFN_VALID(13, false),
    SUSPEND_CANCEL(14, false),
    INIT_P2M(15, false),
    MOD_START_PFN(16, false),
    SUPPORTED_FEATURES(17, false),
    PHYS32_ENTRY(18, false);

    private final int number;
    private final boolean string;

    XenNoteType(int number, boolean string) {
        this.number = number;
        this.string = string;
    }

    /** The note's type number. */
    public int number() {
        return number;
    }

    /** Whether the descriptor is a NUL-terminated string (else a number). */
    public boolean isString() {
        return string;
    }

    /** The type with {@code number}, or null for a number this table does not know. */
    public static XenNoteType of(int number) {
        for (XenNoteType t : values()) {
            if (t.number == number) {
                return t;
            }
        }
        return null;
    }
}
