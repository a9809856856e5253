package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The three pieces of SYSLINUX 6 that its installers carry inside themselves and Debian ships
 * as no file: {@code ldlinux.sys} (the core image followed by its two ADV sectors),
 * {@code ldlinux.c32} (the same build's library module) and the boot sector code. Taken, with
 * no mounting, from the host's own {@code syslinux --install} run on a scratch FAT16 image
 * ({@code mkfs.fat}, read back with {@code mcopy}); the FAT install's patch fields (sector
 * list, checksum, ADV pointers) are overwritten by every later {@link LdlinuxPatch}. Needs
 * Debian's syslinux, dosfstools and mtools. The arrays are shared, not copied: callers read
 * them and patch copies.
 *
 * @param ldlinuxSys the whole ldlinux.sys file (core image + 1024 bytes of ADV)
 * @param ldlinuxC32 the ldlinux.c32 the same installer writes beside it
 * @param bootSector the FAT volume boot record the installer wrote (its code is SYSLINUX's)
 */
public record SyslinuxCore(byte[] ldlinuxSys, byte[] ldlinuxC32, byte[] bootSector) {

    /** Checks the pieces' shapes: {@link LdlinuxPatch#layout} validates the patch area. */
    public SyslinuxCore {
        if (bootSector.length != 512 || (bootSector[510] & 0xFF) != 0x55 || (bootSector[511] & 0xFF) != 0xAA) {
            throw invalid("the boot sector is " + bootSector.length + " bytes or lacks the 55 AA signature");
        }
        if (ldlinuxC32.length < 64 || ldlinuxC32[0] != 0x7F || ldlinuxC32[1] != 'E' || ldlinuxC32[2] != 'L' || ldlinuxC32[3] != 'F') {
            throw invalid("ldlinux.c32 (" + ldlinuxC32.length + " bytes) is not an ELF module");
        }
        LdlinuxPatch.layout(ldlinuxSys);
    }

    /** Runs the host's {@code mkfs.fat} and {@code syslinux --install} on a scratch image and reads the three pieces back. */
    public static SyslinuxCore fromHost() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("amiforge-syslinux-core");
            Path fat = dir.resolve("scratch.fat");
            HostTool.run("mkfs.fat", "dosfstools", List.of("-F", "16", "-n", "SCRATCH", "-C", fat.toString(), "16384"));
            HostTool.run("syslinux", "syslinux", List.of("--install", fat.toString()));
            Path sys = dir.resolve("ldlinux.sys"), c32 = dir.resolve("ldlinux.c32");
            HostTool.run("mcopy", "mtools", List.of("-n", "-i", fat.toString(), "::/ldlinux.sys", sys.toString()));
            HostTool.run("mcopy", "mtools", List.of("-n", "-i", fat.toString(), "::/ldlinux.c32", c32.toString()));
            byte[] vbr = new byte[512];
            try (var in = Files.newInputStream(fat)) {
                if (in.readNBytes(vbr, 0, 512) != 512) {
                    throw invalid("the scratch FAT image made by mkfs.fat is shorter than one sector");
                }
            }
            return new SyslinuxCore(Files.readAllBytes(sys), Files.readAllBytes(c32), vbr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            HostTool.deleteTree(dir);
        }
    }

    /** The core image's length: ldlinux.sys without its two ADV sectors. */
    public int imageLength() {
        return ldlinuxSys.length - LdlinuxPatch.ADV_BYTES;
    }

    private static AmiforgeException invalid(String what) {
        return new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderToolFailed", "host SYSLINUX: " + what);
    }
}
