/**
 * The {@code fs} command group: {@code fs ls} and {@code fs cat} read an ext2/3/4 filesystem inside
 * a disk image (whole disk or one partition) without mounting it.
 */
package io.amiforge.cli.fs;
