/**
 * OVA appliances: a tar archive of an OVF descriptor and stream-optimized VMDK disks.
 *
 * <p>Entry points: {@link io.amiforge.imagefmt.ova.OvaFormat} (the SPI: probe by the first tar
 * member's ".ovf" name, open the first disk in place, info with every disk, create an OVA of
 * one disk; {@code writeAppliance} writes one of several disks) and
 * {@link io.amiforge.imagefmt.ova.OvaAppliance} (the OVF facts and every disk, each opened in
 * place). {@code Tar} walks and writes ustar headers; {@code OvfDescriptor} reads the facts and
 * writes a descriptor; {@code OvaWriter} assembles the archive.
 */
package io.amiforge.imagefmt.ova;
