package io.amiforge.imagefmt.ext;

import java.time.Instant;

/**
 * What {@code stat} says about an inode: its number, type, permission bits ({@code mode & 07777}),
 * size in bytes, owner, modification time and link count.
 */
public record FileStat(long inode, FileType type, int mode, long size, long uid, long gid, Instant mtime, int links) {
}
