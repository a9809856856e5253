/**
 * VMDK (VMware) images: monolithicSparse and streamOptimized read and write; monolithicFlat,
 * twoGbMaxExtentSparse and twoGbMaxExtentFlat (descriptor files over extent files) read and
 * written in place, per VMware's "Virtual Disk Format 1.1".
 *
 * <p>Entry point: {@link io.amiforge.imagefmt.vmdk.VmdkFormat} (the SPI: probe, open, create
 * with {@code subformat}, info). {@code VmdkSparseHeader} and {@code VmdkDescriptor} are the
 * structures. Extent files named by a descriptor are followed under {@link
 * io.amiforge.imagefmt.format.BackingChain}'s rule (inside the descriptor's directory, no
 * {@code ..}, regular files only).
 */
package io.amiforge.imagefmt.vmdk;
