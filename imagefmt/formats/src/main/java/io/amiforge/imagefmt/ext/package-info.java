/**
 * ext2/ext3/ext4: a reader for what {@code mke2fs} makes today and an ext2 writer from a
 * directory tree.
 *
 * <p>Entry points: {@link io.amiforge.imagefmt.ext.ExtFileSystem#open} (path lookup with symlink
 * following, listing, stat, readlink, whole-file and positional reads, streams) and
 * {@link io.amiforge.imagefmt.ext.Ext2Writer} (a {@link io.amiforge.imagefmt.ext.SourceTree}
 * into a device, with the physical block runs of every file it wrote). Every problem with the
 * on-disk data is an {@code AmiforgeException} of kind {@code INVALID_INPUT} and code
 * {@code InvalidFilesystem} whose message names the inode, block and offset.
 */
package io.amiforge.imagefmt.ext;
