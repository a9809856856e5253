/**
 * HVM boot: {@link io.amiforge.boot.hvm.HvmBoot} runs a disk's master boot record on the
 * real-mode CPU and BIOS and reports what happened; {@link io.amiforge.boot.hvm.AmiforgeBootChain}
 * is the project's own MBR + loader for Linux bzImages; {@link io.amiforge.boot.hvm.GrubBootChain},
 * {@link io.amiforge.boot.hvm.SyslinuxBootChain} and {@link io.amiforge.boot.hvm.ExtlinuxBootChain}
 * install the host's real GRUB 2 and SYSLINUX without mounting (EXTLINUX through
 * {@link io.amiforge.boot.hvm.ExtlinuxInstaller}, which patches the host's
 * {@link io.amiforge.boot.hvm.SyslinuxCore} with {@link io.amiforge.boot.hvm.LdlinuxPatch});
 * {@link io.amiforge.boot.hvm.TinyKernel} is a tiny bzImage-format guest kernel for end-to-end
 * demos and tests.
 */
package io.amiforge.boot.hvm;
