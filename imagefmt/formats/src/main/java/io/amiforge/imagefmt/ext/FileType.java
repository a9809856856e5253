package io.amiforge.imagefmt.ext;

/** The type of an inode, from the top four bits of {@code i_mode}. */
public enum FileType {
    REGULAR("file", 0x8, 1),
    DIRECTORY("dir", 0x4, 2),
    SYMLINK("symlink", 0xA, 7),
    CHAR_DEVICE("chardev", 0x2, 3),
    BLOCK_DEVICE("blockdev", 0x6, 4),
    FIFO("fifo", 0x1, 5),
    SOCKET("socket", 0xC, 6),
    UNKNOWN("unknown", 0, 0);

    private final String label;
    private final int modeBits;
    private final int direntType;

    FileType(String label, int modeBits, int direntType) {
        this.label = label;
        this.modeBits = modeBits;
        this.direntType = direntType;
    }

    /** Short name used in listings and JSON: file, dir, symlink, ... */
    public String label() {
        return label;
    }

    /** The {@code S_IFMT} bits ({@code mode & 0xF000}). */
    public int modeBits() {
        return modeBits << 12;
    }

    /** The {@code file_type} byte of a directory entry (filetype feature). */
    public int direntType() {
        return direntType;
    }

    public static FileType ofMode(int mode) {
        int t = (mode >>> 12) & 0xF;
        for (FileType f : values()) {
            if (f.modeBits == t && f != UNKNOWN) {
                return f;
            }
        }
        return UNKNOWN;
    }
}
