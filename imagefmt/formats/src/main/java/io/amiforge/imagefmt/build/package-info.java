/**
 * The image builder: a directory tree into a disk image with a partition table, an ext2 root
 * filesystem and, on request, what a PV (PV-GRUB {@code menu.lst}) or HVM (boot code plus a
 * sector map of the kernel, through {@link io.amiforge.imagefmt.build.BootCodeInstaller}) boot
 * needs.
 *
 * <p>Entry point: {@link io.amiforge.imagefmt.build.ImageBuilder}. The kernels and the HVM boot code
 * are parameters; amiforge's own (the tiny guest kernels, the boot chain) live in hypervisor-sim,
 * and the CLI passes them when no kernel is given.
 */
package io.amiforge.imagefmt.build;
