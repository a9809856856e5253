package io.amiforge.boot.hvm;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A disk as Debian's syslinux leaves it, made with its own tools and no mounting: an MBR with
 * syslinux-common's {@code mbr.bin} and one active FAT16 partition at LBA 2048 made by
 * {@code mkfs.fat}, {@code syslinux --install} (ldlinux.sys, ldlinux.c32 and the VBR) and the
 * given files copied in with {@code mcopy}.
 */
final class SyslinuxDisk {

    static final Path MBR = Path.of("/usr/lib/syslinux/mbr/mbr.bin");
    static final long START = 2048;
    static final long SECTORS = 30 * 2048;

    private SyslinuxDisk() {
    }

    static Path build(Path dir, String name, Map<String, byte[]> files) throws IOException, InterruptedException {
        Path fat = dir.resolve(name + "-fat.img");
        Processes.run(List.of(Interop.tool("mkfs.fat").toString(), "-F", "16", "-n", "BOOT", "-C", fat.toString(),
                Long.toString(SECTORS / 2))).orFail();
        Processes.run(List.of(Interop.tool("syslinux").toString(), "--install", fat.toString())).orFail();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Path local = dir.resolve(name + "-file-" + f.getKey().replace('/', '_'));
            Files.write(local, f.getValue());
            Processes.run(List.of(Interop.tool("mcopy").toString(), "-o", "-i", fat.toString(), local.toString(),
                    "::/" + f.getKey())).orFail();
        }
        Path img = dir.resolve(name);
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.setLength((START + SECTORS + 2048) * 512);
        }
        Path script = dir.resolve(name + ".sfdisk");
        Files.writeString(script, "label: dos\nlabel-id: 0x5157a001\nstart=" + START + ", size=" + SECTORS
                + ", type=6, bootable\nstart=" + (START + SECTORS) + ", type=83\n");
        Processes.command(Interop.tool("sfdisk").toString(), "--no-reread", "--no-tell-kernel", img.toString())
                .input(script).run().orFail();
        byte[] mbr = Files.readAllBytes(Interop.file(MBR, "syslinux-common's mbr.bin"));
        byte[] fs = Files.readAllBytes(fat);
        try (RandomAccessFile f = new RandomAccessFile(img.toFile(), "rw")) {
            f.write(mbr, 0, 440);
            f.seek(START * 512);
            f.write(fs);
        }
        return img;
    }
}
