/**
 * The image builder: a directory tree into a disk image with a partition table, an ext2 root
 * filesystem and, on request, what a PV (PV-GRUB {@code menu.lst}) or HVM (boot code plus a
 * sector map of the kernel, through {@link io.amiforge.imagefmt.build.BootCodeInstaller}) boot
 * needs.
 *
 * <p>Entry points: {@link io.amiforge.imagefmt.build.ImageBuilder} and the default-artifact hook
 * {@link io.amiforge.imagefmt.build.BootDefaults}.
 */
package io.amiforge.imagefmt.build;
