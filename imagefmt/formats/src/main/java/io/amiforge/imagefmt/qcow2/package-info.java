/**
 * qcow2 images, versions 2 and 3, read and write, per QEMU's docs/interop/qcow2.txt.
 *
 * <p>Entry points: {@link io.amiforge.imagefmt.qcow2.Qcow2Format} (the SPI: probe, open with
 * the backing chain, create, info); {@link io.amiforge.imagefmt.qcow2.Qcow2Device} (an image
 * and its chain as a {@code BlockDevice}); {@link io.amiforge.imagefmt.qcow2.Qcow2Image} (one
 * file on its own: {@code layerAllocation()} and {@code readLayer} for importing a chain layer
 * by layer); {@link io.amiforge.imagefmt.qcow2.Qcow2Writer} (writes one layer cluster by
 * cluster with a given backing file name, for exporting a snapshot chain).
 */
package io.amiforge.imagefmt.qcow2;
