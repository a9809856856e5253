/**
 * Booting a disk image either way: {@link io.amiforge.boot.image.ImageBooter} opens the image's
 * partitions and ext filesystem (imagefmt) for PV-GRUB, or hands the whole disk to the HVM BIOS.
 */
package io.amiforge.boot.image;
