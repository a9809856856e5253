/**
 * Image formats (raw, qcow2, VHD, VMDK, VHDX, OVA) behind one SPI, partition tables (MBR, GPT), ext filesystems,
 * and the image builder. Formats only: no store, no simulator.
 */
module io.amiforge.imagefmt {
    requires transitive io.amiforge.blockdev;
    requires roaringbitmap;
    requires com.github.luben.zstd_jni;
    requires java.xml;

    exports io.amiforge.imagefmt.format;
    exports io.amiforge.imagefmt.raw;
    exports io.amiforge.imagefmt.qcow2;
    exports io.amiforge.imagefmt.vhd;
    exports io.amiforge.imagefmt.vmdk;
    exports io.amiforge.imagefmt.vhdx;
    exports io.amiforge.imagefmt.ova;
    exports io.amiforge.imagefmt.partition;
    exports io.amiforge.imagefmt.ext;
    exports io.amiforge.imagefmt.build;

    uses io.amiforge.imagefmt.format.ImageFormat;
    provides io.amiforge.imagefmt.format.ImageFormat
            with io.amiforge.imagefmt.qcow2.Qcow2Format, io.amiforge.imagefmt.raw.RawFormat,
                    io.amiforge.imagefmt.vhd.VhdFormat, io.amiforge.imagefmt.vmdk.VmdkFormat,
                    io.amiforge.imagefmt.vhdx.VhdxFormat, io.amiforge.imagefmt.ova.OvaFormat;
}
