/**
 * VHD (Virtual PC, Hyper-V, Azure) images, qemu-img's {@code vpc}: fixed, dynamic and
 * differencing disks, read and write, per Microsoft's "Virtual Hard Disk Image Format
 * Specification".
 *
 * <p>Entry point: {@link io.amiforge.imagefmt.vhd.VhdFormat} (the SPI: probe, open with the
 * parent chain, create with {@code subformat} "dynamic" or "fixed", info). The structures are
 * {@code VhdFooter} and {@code VhdDynamicHeader}; a differencing disk's parent is a backing
 * file, found through its parent locators and followed only under {@link
 * io.amiforge.imagefmt.format.BackingChain}'s rule.
 */
package io.amiforge.imagefmt.vhd;
