package io.amiforge.imagefmt.ova;

import io.amiforge.blockdev.AbstractBlockDevice;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.vmdk.VmdkFormat;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

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
            writeArchive();
        } finally {
            try {
                Files.deleteIfExists(disk);
            } catch (IOException ignored) {
                // the archive (or the error) is what matters; a stale file beside it is named by its suffix
            }
        }
    }

    private void writeArchive() {
        String vmdkName = baseName + "-disk1.vmdk";
        try (FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING); FileChannel in = FileChannel.open(disk)) {
            long vmdkSize = in.size();
            byte[] ovf = OvfDescriptor.write(baseName, vmdkName, vmdkSize, size()).getBytes(StandardCharsets.UTF_8);
            long now = Instant.now().getEpochSecond();
            long at = 0;
            at = put(out, at, Tar.header(baseName + ".ovf", ovf.length, now));
            at = put(out, at, ByteBuffer.wrap(ovf));
            at = pad(out, at);
            at = put(out, at, Tar.header(vmdkName, vmdkSize, now));
            long copied = 0;
            while (copied < vmdkSize) {
                copied += in.transferTo(copied, vmdkSize - copied, out.position(at + copied));
            }
            at = pad(out, at + vmdkSize);
            put(out, at, ByteBuffer.allocate(2 * Tar.BLOCK)); // end of archive
            out.force(true);
        } catch (IOException e) {
            throw Tar.io(target, "cannot write the OVA archive", e);
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
