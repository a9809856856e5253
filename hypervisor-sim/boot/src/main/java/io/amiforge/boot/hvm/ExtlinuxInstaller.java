package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.ext.Superblock;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code extlinux --install DIR} for an ext2/3/4 filesystem that is not mounted: the
 * filesystem (made by any writer: amiforge's {@code Ext2Writer}, {@code mke2fs -d}) must
 * already hold {@code DIR/ldlinux.sys} with the bytes of {@link SyslinuxCore#ldlinuxSys()}
 * and {@code DIR/ldlinux.c32}; this finds ldlinux.sys's blocks by reading the filesystem,
 * overwrites the file in place with its {@link LdlinuxPatch patched} bytes (as extlinux
 * rewrites it after mapping it; its size and blocks do not change, so the filesystem's
 * metadata stays as it was) and writes the boot sector into the partition's first sector,
 * which ext2/3/4 leave unused (the superblock starts at byte 1024 and is checked, never
 * written). The MBR and the partition's active flag are the caller's.
 */
public final class ExtlinuxInstaller {

    private ExtlinuxInstaller() {
    }

    /** Installs into the ext filesystem of {@code partition} on {@code disk}, with ldlinux.sys in {@code dir} (absolute, no trailing '/'). */
    public static void install(BlockDevice disk, Partition partition, String dir, SyslinuxCore core) {
        if (!dir.startsWith("/") || (dir.length() > 1 && dir.endsWith("/"))) {
            throw usage("install directory '" + dir + "' must be absolute without a trailing '/'");
        }
        BlockDevice fs = PartitionTable.open(disk, partition);
        byte[] sb = new byte[Superblock.SIZE];
        fs.read(Superblock.OFFSET, MemorySegment.ofArray(sb));
        int magic = Short.toUnsignedInt(ByteBuffer.wrap(sb).order(ByteOrder.LITTLE_ENDIAN).getShort(56));
        if (magic != Superblock.MAGIC) {
            throw usage(disk.name() + ": partition " + partition.index() + " at LBA " + partition.startLba()
                    + " has no ext2/3/4 superblock (magic 0x%04X at byte 1080, expected 0xEF53)".formatted(magic));
        }
        ExtFileSystem ext = ExtFileSystem.open(fs);
        String base = dir.equals("/") ? "" : dir;
        ExtFileSystem.ExtFile sys = file(ext, disk, base + "/ldlinux.sys");
        if (sys.size() != core.ldlinuxSys().length) {
            throw usage(disk.name() + ": " + base + "/ldlinux.sys is " + sys.size() + " bytes; the host's SYSLINUX core is "
                    + core.ldlinuxSys().length + " bytes (write SyslinuxCore.ldlinuxSys() there first)");
        }
        if (file(ext, disk, base + "/ldlinux.c32").size() != core.ldlinuxC32().length) {
            throw usage(disk.name() + ": " + base + "/ldlinux.c32 is not the host's ldlinux.c32 (" + core.ldlinuxC32().length + " bytes)");
        }
        long[] sectors = sectors(sys, ext.superblock().blockSize(), base + "/ldlinux.sys");
        LdlinuxPatch.Patched p = LdlinuxPatch.patch(core, sectors, dir, partition.startLba(), partition.sectors());
        for (int i = 0; i < sectors.length; i++) {
            fs.write(sectors[i] * 512, MemorySegment.ofArray(p.ldlinuxSys()).asSlice(i * 512L, 512));
        }
        fs.write(0, MemorySegment.ofArray(p.bootSector()));
    }

    private static ExtFileSystem.ExtFile file(ExtFileSystem ext, BlockDevice disk, String path) {
        try {
            return ext.openFile(path);
        } catch (AmiforgeException e) {
            if (e.kind() != AmiforgeException.Kind.NOT_FOUND) {
                throw e;
            }
            throw usage(disk.name() + ": " + path + " is not in the filesystem (" + e.getMessage()
                    + "): write the host's ldlinux.sys and ldlinux.c32 (SyslinuxCore) into the install directory first");
        }
    }

    /** The filesystem-relative 512-byte sectors of the file, in file order; a hole is an error (the boot code cannot read one). */
    private static long[] sectors(ExtFileSystem.ExtFile file, int blockSize, String path) {
        int perBlock = blockSize / 512;
        long blocks = (file.size() + blockSize - 1) / blockSize;
        long[] physical = new long[Math.toIntExact(blocks)];
        Arrays.fill(physical, -1);
        for (long[] run : file.runs()) {
            for (long j = 0; j < run[2]; j++) {
                physical[Math.toIntExact(run[0] + j)] = run[1] + j;
            }
        }
        List<Long> out = new ArrayList<>();
        for (int b = 0; b < physical.length; b++) {
            if (physical[b] < 0) {
                throw usage(path + " has a hole at block " + b + ": write it with every block allocated");
            }
            for (int s = 0; s < perBlock && out.size() * 512L < file.size(); s++) {
                out.add(physical[b] * perBlock + s);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    private static AmiforgeException usage(String what) {
        return new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidParameterValue", what);
    }
}
