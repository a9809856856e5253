package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.build.BootCodeInstaller;
import io.amiforge.imagefmt.build.BootPayload;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The project's own HVM boot chain for {@code image build --boot hvm}: an MBR (bytes 0..439
 * of LBA 0) that loads a 16-sector loader from {@code loaderLba}, and the loader, which reads
 * a Linux bzImage (and initrd) through the {@link BootPayload}'s sector extents and starts it
 * by the Linux x86 boot protocol (see {@code hypervisor-sim/boot/src/main/asm/loader.asm}).
 *
 * <p>{@link #install} patches the loader's LBA and size into the MBR and the kernel/initrd
 * sizes, extent tables and command line into the loader; it leaves bytes 440..509 (disk
 * signature and partition table) untouched and sets the 0x55AA signature. Limits: at most
 * {@link #MAX_EXTENTS} extents in total, a command line of at most {@link #MAX_CMDLINE} ASCII
 * bytes, kernel and initrd below 4 GiB each.
 */
public final class AmiforgeBootChain implements BootCodeInstaller {

    /** Loader sectors at loaderLba. */
    public static final int LOADER_SECTORS = 16;
    public static final int MAX_CMDLINE = 2047;
    public static final int MAX_EXTENTS = (LOADER_SECTORS * 512 - 0x1000) / 12;
    static final int MBR_LOADER_LBA = 0x1A8, MBR_LOADER_COUNT = 0x1B0, MBR_CODE = 440;
    static final int LDR_KERNEL_SIZE = 0x18, LDR_INITRD_SIZE = 0x1C, LDR_KERNEL_EXTENTS = 0x20,
            LDR_INITRD_EXTENTS = 0x22, LDR_CMDLINE_LEN = 0x24, LDR_CMDLINE = 0x800, LDR_EXTENTS = 0x1000;

    /** An installer of amiforge's MBR and loader (stateless). */
    public AmiforgeBootChain() {
    }

    /** The assembled MBR code (440 bytes, unpatched). */
    public static byte[] mbrCode() {
        return TinyKernel.resource("mbr.bin");
    }

    /** The assembled loader (16 sectors, unpatched). */
    public static byte[] loaderCode() {
        return TinyKernel.resource("loader.bin");
    }

    @Override
    public int loaderSectors() {
        return LOADER_SECTORS;
    }

    @Override
    public void install(BlockDevice disk, long loaderLba, BootPayload payload) {
        long diskSectors = disk.size() / 512;
        if (loaderLba < 1 || loaderLba > diskSectors - LOADER_SECTORS) {
            throw invalid("loader LBA " + loaderLba + " on '" + disk.name() + "' (" + diskSectors
                    + " sectors) leaves no room for " + LOADER_SECTORS + " loader sectors after LBA 0");
        }
        byte[] cmd = payload.cmdline() == null ? new byte[0] : payload.cmdline().getBytes(StandardCharsets.US_ASCII);
        if (cmd.length > MAX_CMDLINE || (payload.cmdline() != null
                && !StandardCharsets.US_ASCII.newEncoder().canEncode(payload.cmdline()))) {
            throw invalid("kernel command line is " + cmd.length + " bytes or not ASCII; at most " + MAX_CMDLINE
                    + " ASCII bytes fit the loader");
        }
        if (payload.kernelSize() < 1024 || payload.kernelSize() > 0xFFFFFFFFL) {
            throw invalid("kernel size " + payload.kernelSize() + " bytes; expected a bzImage of 1 KiB to 4 GiB");
        }
        if (payload.initrdSize() < 0 || payload.initrdSize() > 0xFFFFFFFFL) {
            throw invalid("initrd size " + payload.initrdSize() + " bytes; expected 0 to 4 GiB");
        }
        int nk = payload.kernel().size(), ni = payload.initrd().size();
        if (nk + ni > MAX_EXTENTS) {
            throw invalid("kernel and initrd take " + (nk + ni) + " extents; the loader's map holds " + MAX_EXTENTS);
        }
        checkExtents("kernel", payload.kernel(), payload.kernelSize(), diskSectors, loaderLba);
        checkExtents("initrd", payload.initrd(), payload.initrdSize(), diskSectors, loaderLba);

        byte[] loader = loaderCode();
        ByteBuffer l = ByteBuffer.wrap(loader).order(ByteOrder.LITTLE_ENDIAN);
        l.putInt(LDR_KERNEL_SIZE, (int) payload.kernelSize());
        l.putInt(LDR_INITRD_SIZE, (int) payload.initrdSize());
        l.putShort(LDR_KERNEL_EXTENTS, (short) nk);
        l.putShort(LDR_INITRD_EXTENTS, (short) ni);
        l.putShort(LDR_CMDLINE_LEN, (short) cmd.length);
        System.arraycopy(cmd, 0, loader, LDR_CMDLINE, cmd.length);
        int at = LDR_EXTENTS;
        for (BootPayload.Extent e : concat(payload.kernel(), payload.initrd())) {
            l.putLong(at, e.lba());
            l.putInt(at + 8, (int) e.sectors());
            at += 12;
        }

        byte[] sector0 = new byte[512];
        disk.read(0, MemorySegment.ofArray(sector0));
        byte[] mbr = mbrCode();
        ByteBuffer m = ByteBuffer.wrap(mbr).order(ByteOrder.LITTLE_ENDIAN);
        m.putLong(MBR_LOADER_LBA, loaderLba);
        m.putShort(MBR_LOADER_COUNT, (short) LOADER_SECTORS);
        System.arraycopy(mbr, 0, sector0, 0, MBR_CODE);
        sector0[510] = 0x55;
        sector0[511] = (byte) 0xAA;
        disk.write(loaderLba * 512, MemorySegment.ofArray(loader));
        disk.write(0, MemorySegment.ofArray(sector0));
    }

    private static List<BootPayload.Extent> concat(List<BootPayload.Extent> a, List<BootPayload.Extent> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }

    private static void checkExtents(String what, List<BootPayload.Extent> extents, long size, long diskSectors,
            long loaderLba) {
        long total = 0;
        for (BootPayload.Extent e : extents) {
            if (e.sectors() < 1 || e.sectors() > 0xFFFFFFFFL || e.lba() < 1 || e.lba() > diskSectors - e.sectors()) {
                throw invalid(what + " extent (LBA " + e.lba() + ", " + e.sectors() + " sectors) lies outside the disk's "
                        + diskSectors + " sectors or covers LBA 0");
            }
            if (e.lba() < loaderLba + LOADER_SECTORS && loaderLba < e.lba() + e.sectors()) {
                throw invalid(what + " extent (LBA " + e.lba() + ", " + e.sectors() + " sectors) overlaps the loader at LBA "
                        + loaderLba);
            }
            total = Math.addExact(total, e.sectors());
        }
        if (total * 512 < size) {
            throw invalid(what + " extents cover " + total * 512 + " bytes; the " + what + " is " + size + " bytes");
        }
    }

    private static AmiforgeException invalid(String message) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue", message);
    }
}
