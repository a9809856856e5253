/**
 * Moving disks between image files and the snapshot store: {@link io.amiforge.transfer.ChainImporter}
 * turns a raw image or a qcow2 backing chain into a snapshot chain (one snapshot per layer) and a
 * volume; {@link io.amiforge.transfer.OvaImporter} turns chosen disks of an OVA into one snapshot and
 * volume each, all or nothing; {@link io.amiforge.transfer.ChainExporter} writes a volume or snapshot as a
 * flat raw/qcow2 image, or a snapshot chain as a qcow2 backing chain (one file per snapshot).
 */
package io.amiforge.transfer;
