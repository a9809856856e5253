package io.amiforge.cli.image;

import io.amiforge.blockdev.AllocationStatus;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.Extent;
import io.amiforge.cli.common.Progress;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image compare [-f FMT] [-F FMT] [-s] [-p] IMAGE1 IMAGE2}: whether two images have the
 * same guest content, as {@code qemu-img compare}: exit 0 when identical, 1 at the first
 * difference (reported at its 512-byte sector, as qemu-img does). Images of different sizes are
 * identical when the larger one's extra bytes read as zeros, unless {@code -s} (strict) is given.
 * Ranges both images report as zero are not read.
 */
@Command(name = "compare",
        description = {"Compare the guest content of two images (backing chains included), as qemu-img compare; exit 1 if they differ.",
            "Example: amiforge image compare -f raw -F qcow2 disk.raw disk.qcow2"})
public final class ImageCompareCommand extends ImageCommandBase {

    private static final int CHUNK = 1 << 20;
    private static final int SECTOR = 512;

    @Parameters(index = "0", paramLabel = "IMAGE1", description = {"First image (its format: -f, else probed).", "Example: disk.raw"})
    Path first;

    @Parameters(index = "1", paramLabel = "IMAGE2", description = {"Second image (its format: -F, else probed).", "Example: disk.qcow2"})
    Path second;

    @Option(names = {"-F", "--second-format"}, paramLabel = "FMT",
            description = {"Format of IMAGE2; given, its content is not probed.", "Example: -F qcow2"})
    String secondFormat;

    @Option(names = {"-s", "--strict"},
            description = {"Strict: images of different sizes differ, whatever the extra bytes hold.", "Example: -s"})
    boolean strict;

    @Override
    protected int execute() {
        ImageSource a = imageOptions.source(first);
        ImageSource b = ImageSource.of(second).withBackingDir(a.backingDir());
        if (secondFormat != null) {
            b = b.withFormat(ImageFormats.byName(secondFormat).name());
        }
        Result result;
        try (BlockDevice left = ImageFormats.open(a, true); BlockDevice right = ImageFormats.open(b, true)) {
            long common = Math.min(left.size(), right.size());
            try (Progress progress = progress("compare", Math.max(left.size(), right.size()), progressOptions.requested(), false)) {
                result = compare(left, right, common, progress);
            }
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("identical", result.mismatch < 0 && !(strict && result.sizeMismatch));
        json.put("sizeMismatch", result.sizeMismatch);
        json.put("mismatchOffset", result.mismatch < 0 ? null : result.mismatch);
        String text;
        if (strict && result.sizeMismatch) {
            text = "Strict mode: Image size mismatch!";
        } else if (result.mismatch >= 0) {
            // as qemu-img: the size warning comes only once the common part compared equal
            boolean pastCommon = result.mismatch >= result.commonSize;
            text = (pastCommon ? "Warning: Image size mismatch!\n" : "") + "Content mismatch at offset " + result.mismatch + "!";
        } else {
            text = (result.sizeMismatch ? "Warning: Image size mismatch!\n" : "") + "Images are identical.";
        }
        print(json, text);
        return Boolean.TRUE.equals(json.get("identical")) ? 0 : 1;
    }

    /** The first differing sector's offset (-1: none), the size both images have, and whether the sizes differ. */
    private record Result(long mismatch, long commonSize, boolean sizeMismatch) {
    }

    private static Result compare(BlockDevice left, BlockDevice right, long common, Progress progress) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment l = arena.allocate(CHUNK, 4096);
            MemorySegment r = arena.allocate(CHUNK, 4096);
            long pos = 0;
            while (pos < common) {
                long n = Math.min(CHUNK, common - pos);
                long zeroBoth = Math.min(zeroRun(left, pos, n), zeroRun(right, pos, n));
                if (zeroBoth > 0) {
                    pos += zeroBoth;
                    progress.stepTo(pos);
                    continue;
                }
                MemorySegment ls = l.asSlice(0, n);
                MemorySegment rs = r.asSlice(0, n);
                left.read(pos, ls);
                right.read(pos, rs);
                long at = ls.mismatch(rs);
                if (at >= 0) {
                    return new Result(sectorOf(pos + at), common, left.size() != right.size());
                }
                pos += n;
                progress.stepTo(pos);
            }
            BlockDevice larger = left.size() > right.size() ? left : right;
            long nonZero = firstNonZero(larger, common, l, r.fill((byte) 0));
            return new Result(nonZero < 0 ? -1 : sectorOf(nonZero), common, left.size() != right.size());
        }
    }

    /** How many bytes from {@code pos} (at most {@code max}) the device reports as zeros without reading; 0 if not known. */
    private static long zeroRun(BlockDevice device, long pos, long max) {
        if (device instanceof AllocationStatus status) {
            Extent e = status.extentAt(pos, max);
            return e.kind() == Extent.Kind.DATA ? 0 : e.length();
        }
        return 0;
    }

    /** The offset of the first non-zero byte of {@code device} at or after {@code from}, or -1. */
    private static long firstNonZero(BlockDevice device, long from, MemorySegment buffer, MemorySegment zeros) {
        long pos = from;
        while (pos < device.size()) {
            long n = Math.min(buffer.byteSize(), device.size() - pos);
            long zeroRun = zeroRun(device, pos, n);
            if (zeroRun > 0) {
                pos += zeroRun;
                continue;
            }
            MemorySegment chunk = buffer.asSlice(0, n);
            device.read(pos, chunk);
            long at = chunk.mismatch(zeros.asSlice(0, n));
            if (at >= 0) {
                return pos + at;
            }
            pos += n;
        }
        return -1;
    }

    private static long sectorOf(long offset) {
        return offset & -(long) SECTOR;
    }
}
