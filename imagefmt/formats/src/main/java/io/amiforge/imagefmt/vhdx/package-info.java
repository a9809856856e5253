/**
 * VHDX (Hyper-V) images, read-only, per Microsoft's [MS-VHDX]: headers, region table, metadata,
 * BAT, CRC-32C checksums, and log replay on open (in memory: the file is not changed).
 *
 * <p>Entry point: {@link io.amiforge.imagefmt.vhdx.VhdxFormat} (the SPI: probe, open, info).
 */
package io.amiforge.imagefmt.vhdx;
