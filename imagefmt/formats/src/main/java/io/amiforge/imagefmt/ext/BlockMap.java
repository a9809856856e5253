package io.amiforge.imagefmt.ext;

/** Maps a file's logical blocks to physical blocks: extents or the classic indirect block map. */
interface BlockMap {

    /**
     * The run that contains logical block {@code logical}: it starts at {@code logical} and is at
     * least one block long. Holes past the last mapped block run to {@code limit}.
     */
    Run map(long logical, long limit);
}
