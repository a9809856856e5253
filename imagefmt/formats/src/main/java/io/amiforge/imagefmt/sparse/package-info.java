/**
 * What the block-mapped formats (VHD, VMDK, VHDX) share, internal to the module: {@link
 * io.amiforge.imagefmt.sparse.HostFile} (positional I/O on the image file, every offset taken
 * from metadata checked against its size) and {@link
 * io.amiforge.imagefmt.sparse.BlockMappedDevice} (a device whose guest blocks a table maps to
 * host offsets, allocating blocks at the end of the file on first write).
 */
package io.amiforge.imagefmt.sparse;
