/**
 * The boot paths: HVM (BIOS, MBR, boot loader, Linux hand-off) and PV (PV-GRUB, Xen PV
 * kernels), their common report, and booting a disk image either way.
 */
module io.amiforge.boot {
    requires transitive io.amiforge.x86;
    requires transitive io.amiforge.imagefmt;
    requires org.apache.commons.compress;
    requires org.tukaani.xz;
    requires com.github.luben.zstd_jni;
    requires java.desktop;

    exports io.amiforge.boot;
    exports io.amiforge.boot.hvm;
    exports io.amiforge.boot.pv;
    exports io.amiforge.boot.image;
}
