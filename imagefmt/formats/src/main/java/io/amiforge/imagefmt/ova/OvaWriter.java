package io.amiforge.imagefmt.ova;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import io.amiforge.imagefmt.vmdk.VmdkFormat;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A new OVA being written: the guest disk goes into a stream-optimized VMDK beside the target
 * (written once, front to back, as a stream is), and closing the device writes the archive:
 * the OVF descriptor first (as the OVF specification requires), then the VMDK, then the tar
 * end marker; the VMDK beside it is deleted. Nothing is at the target until then.
 */
final class OvaWriter extends AbstractBlockDevice {

    private final Path target;
    private final Path disk;
    private final String baseName;
    private final BlockDevice vmdk;

    OvaWriter(Path target, long size) {
        super(target.toString(), size, 512, false);
        this.target = target;
        this.baseName = baseName(target);
        this.disk = target.resolveSibling(target.getFileName() + ".disk.vmdk");
        this.vmdk = new VmdkFormat().create(disk, size, CreateOptions.defaults().withSubformat("streamOptimized"));
    }

    /** The name inside the archive: the target's, without ".ova" and without OutputFile's temporary dressing. */
    static String baseName(Path target) {
        String name = target.getFileName().toString();
        java.util.regex.Matcher partial = java.util.regex.Pattern.compile("^\\.(.+)\\.\\d+\\.partial$").matcher(name);
        if (partial.matches()) {
            name = partial.group(1);
        }
        if (name.toLowerCase(java.util.Locale.ROOT).endsWith(".ova")) {
            name = name.substring(0, name.length() - 4);
        }
        name = name.replaceAll("[^A-Za-z0-9._-]", "_");
        return name.isEmpty() || name.length() > 80 ? "disk" : name;
    }

    @Override
    protected void doRead(long offset, MemorySegment dst) {
        vmdk.read(offset, dst);
    }

    @Override
    protected void doWrite(long offset, MemorySegment src) {
        vmdk.write(offset, src);
    }

    @Override
    protected void doDiscard(long offset, long length) {
        vmdk.discard(offset, length);
    }

    /** The stream is finished only on close; a flush makes what is written so far durable in the VMDK beside the target. */
    @Override
    protected void doFlush() {
        vmdk.flush();
    }

    @Override
    protected void doClose() {
        try {
            vmdk.close();
            writeArchive(target, baseName, List.of(disk), List.of(size()));
        } finally {
            deleteQuietly(disk);
        }
    }

    /** See {@link OvaFormat#writeAppliance}: each disk into a VMDK beside the target, then the archive, renamed into place. */
    static void writeAppliance(Path target, List<? extends BlockDevice> disks) {
        if (disks.isEmpty()) {
            throw new IllegalArgumentException("an OVA needs at least one disk");
        }
        String baseName = baseName(target);
        Path partial = target.resolveSibling("." + target.getFileName() + ".partial");
        List<Path> vmdks = new ArrayList<>();
        List<Long> capacities = new ArrayList<>();
        try {
            for (BlockDevice device : disks) {
                Path vmdk = target.resolveSibling(target.getFileName() + ".disk" + (vmdks.size() + 1) + ".vmdk");
                vmdks.add(vmdk);
                try (BlockDevice out = new VmdkFormat().create(vmdk, device.size(), CreateOptions.defaults().withSubformat("streamOptimized"))) {
                    ImageConverter.copy(device, out, 64 << 10, 1);
                }
                capacities.add(device.size());
            }
            writeArchive(partial, baseName, vmdks, capacities);
            Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw Tar.io(target, "cannot move the finished OVA into place", e);
        } finally {
            vmdks.forEach(OvaWriter::deleteQuietly);
            deleteQuietly(partial);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the archive (or the error) is what matters; a stale file beside it is named by its suffix
        }
    }

    /**
     * Writes the archive {@code archive}: the descriptor of system {@code baseName}, then each of
     * {@code vmdks} as {@code baseName-diskN.vmdk} (guest sizes {@code capacities}), then the end marker.
     */
    private static void writeArchive(Path archive, String baseName, List<Path> vmdks, List<Long> capacities) {
        try (FileChannel out = FileChannel.open(archive, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            List<OvfDescriptor.DiskFile> files = new ArrayList<>();
            for (int i = 0; i < vmdks.size(); i++) {
                files.add(new OvfDescriptor.DiskFile(baseName + "-disk" + (i + 1) + ".vmdk", Files.size(vmdks.get(i)), capacities.get(i)));
            }
            byte[] ovf = OvfDescriptor.write(baseName, files).getBytes(StandardCharsets.UTF_8);
            long now = Instant.now().getEpochSecond();
            long at = 0;
            at = put(out, at, Tar.header(baseName + ".ovf", ovf.length, now));
            at = put(out, at, ByteBuffer.wrap(ovf));
            at = pad(out, at);
            for (int i = 0; i < vmdks.size(); i++) {
                try (FileChannel in = FileChannel.open(vmdks.get(i))) {
                    long vmdkSize = files.get(i).fileSize();
                    at = put(out, at, Tar.header(files.get(i).member(), vmdkSize, now));
                    long copied = 0;
                    while (copied < vmdkSize) {
                        copied += in.transferTo(copied, vmdkSize - copied, out.position(at + copied));
                    }
                    at = pad(out, at + vmdkSize);
                }
            }
            put(out, at, ByteBuffer.allocate(2 * Tar.BLOCK)); // end of archive
            out.force(true);
        } catch (IOException e) {
            throw Tar.io(archive, "cannot write the OVA archive", e);
        }
    }

    private static long put(FileChannel out, long at, ByteBuffer bytes) throws IOException {
        long pos = at;
        bytes.rewind();
        while (bytes.hasRemaining()) {
            pos += out.write(bytes, pos);
        }
        return pos;
    }

    private static long pad(FileChannel out, long at) throws IOException {
        long padded = (at + Tar.BLOCK - 1) & -(long) Tar.BLOCK;
        return padded == at ? at : put(out, at, ByteBuffer.allocate((int) (padded - at)));
    }
}
