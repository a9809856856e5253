/**
 * Raw disk images: {@link io.amiforge.imagefmt.raw.RawFormat} (the SPI entry) and
 * {@link io.amiforge.imagefmt.raw.RawImageDevice}, which keeps sparse files sparse (zero pages
 * become holes on write; holes are reported, not read, through
 * {@link io.amiforge.blockdev.AllocationStatus}).
 */
package io.amiforge.imagefmt.raw;
