/**
 * Image-format conversion against qemu-img: {@link io.amiforge.bench.formats.FormatsVersusQemu}
 * converts raw to and from VHD, VMDK, VHDX and compressed qcow2 with both tools in the same run.
 */
package io.amiforge.bench.formats;
