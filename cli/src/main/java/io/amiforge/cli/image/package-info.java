/**
 * The {@code image} command group: {@link io.amiforge.cli.image.ImageCommand} with {@code info}
 * ({@link io.amiforge.cli.image.ImageInfoCommand}: format, backing chain, partitions and their
 * filesystems), {@code convert} ({@link io.amiforge.cli.image.ImageConvertCommand}) and
 * {@code build} ({@link io.amiforge.cli.image.ImageBuildCommand}).
 */
package io.amiforge.cli.image;
