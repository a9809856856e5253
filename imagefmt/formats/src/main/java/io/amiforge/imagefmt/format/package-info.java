/**
 * The image-format SPI: {@link io.amiforge.imagefmt.format.ImageFormat} (probe, open as a
 * {@link io.amiforge.blockdev.BlockDevice}, create, info) and its registry
 * {@link io.amiforge.imagefmt.format.ImageFormats}, which probes by content and opens whole
 * backing chains through {@link io.amiforge.imagefmt.format.BackingChain} (loop detection,
 * depth cap). {@link io.amiforge.imagefmt.format.ImageConverter} copies any image to any
 * format, keeping zeros sparse.
 */
package io.amiforge.imagefmt.format;
