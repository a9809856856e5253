package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.common.Progress;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image commit -d [-f FMT] [-p] FILE}: writes what the top image holds itself (its data
 * and its zero clusters, found layer by layer as {@code image map} finds them) into its backing
 * file, as {@code qemu-img commit -d}: afterwards the backing file reads as the top did, and the
 * top is left as it was. Without {@code -d} qemu-img would also empty the top image; amiforge
 * cannot yet, so {@code -d} must be given rather than silently implied.
 */
@Command(name = "commit",
        description = {"Write a top image's own changes into its backing file, as qemu-img commit -d (the top is kept).",
            "Example: amiforge image commit -d -p top.qcow2"})
public final class ImageCommitCommand extends ImageCommandBase {

    private static final int CHUNK = 1 << 20;

    @Parameters(index = "0", paramLabel = "FILE", description = {"The top image, whose backing file receives its changes.", "Example: top.qcow2"})
    Path file;

    @Option(names = "-d", required = true,
            description = {"Keep the top image unchanged (required: emptying it, qemu-img's default, is not supported yet).", "Example: -d"})
    boolean keepTop;

    @Override
    protected int execute() {
        ImageSource source = imageOptions.source(file);
        ImageInfo info = ImageFormats.info(source);
        if (info.backingChain().size() < 2) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    file + " has no backing file to commit into");
        }
        if (!info.format().equals("qcow2")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "image commit reads the top layer alone, which amiforge can do for qcow2, not " + info.format());
        }
        ImageInfo backing = info.backingChain().get(1);
        ImageSource below = new ImageSource(Path.of(backing.file()), backing.format(), source.backingDir(), source.maxChainDepth());
        List<LayerMap.Entry> own = LayerMap.of(source).stream().filter(e -> e.depth() == 0).toList();
        long total = own.stream().mapToLong(LayerMap.Entry::length).sum();
        long data = 0;
        long zeros = 0;
        try (BlockDevice top = ImageFormats.open(source, true); BlockDevice base = ImageFormats.open(below, false);
                Arena arena = Arena.ofConfined(); Progress progress = progress("commit", total, progressOptions.requested(), false)) {
            if (base.size() < top.size()) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "backing file " + backing.file()
                        + " (" + base.size() + " bytes) is smaller than " + file + " (" + top.size() + " bytes): resize it first");
            }
            MemorySegment buffer = arena.allocate(CHUNK, 4096);
            for (LayerMap.Entry e : own) {
                if (e.zero()) {
                    base.discard(e.start(), e.length()); // reads as zeros afterwards: the BlockDevice contract
                    zeros += e.length();
                } else {
                    for (long pos = e.start(); pos < e.end(); pos += CHUNK) {
                        MemorySegment chunk = buffer.asSlice(0, Math.min(CHUNK, e.end() - pos));
                        top.read(pos, chunk);
                        base.write(pos, chunk);
                    }
                    data += e.length();
                }
                progress.add(e.length());
            }
            base.flush();
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("top", file.toString());
        json.put("base", backing.file());
        json.put("dataBytes", data);
        json.put("zeroBytes", zeros);
        print(json, "Image committed.");
        return 0;
    }
}
