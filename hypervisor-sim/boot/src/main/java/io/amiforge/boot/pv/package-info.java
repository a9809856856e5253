/**
 * PV boot: what a paravirtual AMI goes through on a Xen host. PV-GRUB reads GRUB-legacy's
 * {@code /boot/grub/menu.lst} from the root volume ({@link io.amiforge.boot.pv.MenuLstParser}),
 * picks the default entry and falls back through {@code fallback}, then loads the kernel named
 * there as a Xen PV guest: ELF vmlinux or bzImage with a compressed ELF payload
 * ({@link io.amiforge.boot.pv.KernelImage}), Xen ELF notes ({@link io.amiforge.boot.pv.XenNotes}),
 * the PT_LOAD segments placed in pseudo-physical memory, the initrd after them, and the
 * start_info page ({@link io.amiforge.boot.pv.DomainBuilder}).
 *
 * <p>Entry point: {@link io.amiforge.boot.pv.PvGrub#boot}. The volume's partitions and its
 * filesystem come from outside through {@link io.amiforge.boot.pv.PvBootOptions}, the
 * filesystem behind the small {@link io.amiforge.boot.pv.GuestFileSystem} interface.
 * {@link io.amiforge.boot.pv.TinyPvKernel} builds the project's own minimal PV kernel.
 * Every guest failure is a {@link io.amiforge.boot.BootReport} with result {@code failed}.
 */
package io.amiforge.boot.pv;
