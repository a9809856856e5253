/**
 * OVA appliances: a tar archive of an OVF descriptor and stream-optimized VMDK disks.
 *
 * <p>Entry point: {@link io.amiforge.imagefmt.ova.OvaFormat} (the SPI: probe by the first tar
 * member's ".ovf" name, open the first disk in place, info with every disk, create an OVA of
 * one disk). {@code Tar} walks and writes ustar headers; {@code OvfDescriptor} reads the disks
 * and writes a descriptor; {@code OvaWriter} assembles the archive on close.
 */
package io.amiforge.imagefmt.ova;
