/**
 * The image-format SPI: {@link io.amiforge.imagefmt.format.ImageFormat} (probe, open as a
 * {@link io.amiforge.blockdev.BlockDevice}, create, info) and its registry
 * {@link io.amiforge.imagefmt.format.ImageFormats}, which opens an
 * {@link io.amiforge.imagefmt.format.ImageSource} (format named, else probed by content) with
 * its whole backing chain through {@link io.amiforge.imagefmt.format.BackingChain}, the one
 * rule on which backing files may be followed (plus loop detection and a depth cap).
 * {@link io.amiforge.imagefmt.format.ImageConverter} copies any image to any format, keeping
 * zeros sparse, through {@link io.amiforge.imagefmt.format.OutputFile} (temporary file, renamed
 * when complete).
 */
package io.amiforge.imagefmt.format;
