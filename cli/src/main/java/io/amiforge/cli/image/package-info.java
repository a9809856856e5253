/**
 * The {@code image} command group: {@link io.amiforge.cli.image.ImageCommand} with
 * {@code info} ({@link io.amiforge.cli.image.ImageInfoCommand}, whose
 * {@code partitionReader} hook the partition reader fills) and {@code convert}
 * ({@link io.amiforge.cli.image.ImageConvertCommand}); {@code build} joins from the image builder.
 */
package io.amiforge.cli.image;
