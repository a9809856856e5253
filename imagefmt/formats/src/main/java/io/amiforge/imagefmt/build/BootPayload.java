package io.amiforge.imagefmt.build;

import java.util.List;

/**
 * Where the image builder put what the HVM loader must load: the kernel (a Linux bzImage) and
 * the optional initrd as lists of 512-byte sector extents on the whole disk (in file order),
 * their exact byte sizes, and the kernel command line.
 */
public record BootPayload(List<Extent> kernel, long kernelSize, List<Extent> initrd, long initrdSize, String cmdline) {

    /** {@code sectors} consecutive 512-byte sectors from {@code lba}. */
    public record Extent(long lba, long sectors) {
    }

    public BootPayload {
        kernel = List.copyOf(kernel);
        initrd = List.copyOf(initrd);
    }
}
