package io.amiforge.imagefmt.ext;

/** One listed directory entry: its name and the {@link FileStat} of the inode it names (not followed). */
public record DirEntry(String name, FileStat stat) {

    public FileType type() {
        return stat.type();
    }

    public int mode() {
        return stat.mode();
    }

    public long size() {
        return stat.size();
    }
}
