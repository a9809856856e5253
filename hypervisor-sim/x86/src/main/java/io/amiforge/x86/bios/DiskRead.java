package io.amiforge.x86.bios;

/**
 * One disk read the guest made through the BIOS: first LBA, sector count, and destination
 * (segment:offset or linear address).
 */
public record DiskRead(long lba, int sectors, String destination) {
}
