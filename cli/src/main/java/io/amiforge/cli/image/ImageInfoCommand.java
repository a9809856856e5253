package io.amiforge.cli.image;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.cli.CommandBase;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code image info FILE}: like {@code qemu-img info --backing-chain}. JSON:
 * {@code {format, virtualSize, backingChain[], partitionTable, partitions[]}} plus details.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Describe a disk image and its whole backing chain.")
public final class ImageInfoCommand extends CommandBase {

    /** What the partition reader found on a disk: the table type ("mbr", "gpt", null) and its entries. */
    public record Partitions(String partitionTable, List<?> partitions) {
    }

    /**
     * TODO(integrator): set to the partition reader (MBR/GPT) so that {@code image info} fills
     * {@code partitionTable} and {@code partitions[{index,start,sectors,type,bootable,filesystem}]}.
     * Called with the image opened read-only through its whole backing chain; may return null.
     */
    public static volatile Function<BlockDevice, Partitions> partitionReader = device -> null;

    @Parameters(index = "0", paramLabel = "FILE", description = "The image file (format probed by content).")
    Path file;

    @Override
    protected int execute() {
        ImageInfo info = ImageFormats.info(file);
        Partitions partitions;
        try (BlockDevice device = ImageFormats.open(file, true)) {
            partitions = partitionReader.apply(device);
        }
        Map<String, Object> json = describe(info);
        List<Object> chain = new ArrayList<>();
        for (ImageInfo layer : info.backingChain()) {
            chain.add(describe(layer));
        }
        json.put("backingChain", chain);
        json.put("partitionTable", partitions == null ? null : partitions.partitionTable());
        json.put("partitions", partitions == null ? null : partitions.partitions());
        print(json, text(info, partitions));
        return 0;
    }

    private static Map<String, Object> describe(ImageInfo info) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", info.file());
        m.put("format", info.format());
        m.put("virtualSize", info.virtualSize());
        m.put("actualSize", info.actualSize());
        m.put("clusterSize", info.clusterSize() == 0 ? null : info.clusterSize());
        m.put("backingFile", info.backingFile());
        m.put("backingFormat", info.backingFormat());
        m.put("dirty", info.dirty());
        m.put("corrupt", info.corrupt());
        m.put("formatSpecific", info.formatSpecific());
        return m;
    }

    private static String text(ImageInfo info, Partitions partitions) {
        StringBuilder out = new StringBuilder();
        for (ImageInfo layer : info.backingChain()) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            out.append("image: ").append(layer.file()).append('\n');
            out.append("file format: ").append(layer.format()).append('\n');
            out.append("virtual size: ").append(human(layer.virtualSize())).append(" (").append(layer.virtualSize()).append(" bytes)\n");
            out.append("disk size: ").append(human(layer.actualSize())).append('\n');
            if (layer.clusterSize() != 0) {
                out.append("cluster_size: ").append(layer.clusterSize()).append('\n');
            }
            if (layer.backingFile() != null) {
                out.append("backing file: ").append(layer.backingFile()).append('\n');
            }
            if (layer.backingFormat() != null) {
                out.append("backing file format: ").append(layer.backingFormat()).append('\n');
            }
            if (!layer.formatSpecific().isEmpty()) {
                out.append("format specific information:\n");
                layer.formatSpecific().entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .forEach(e -> out.append("    ").append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
            }
            if (layer.dirty()) {
                out.append("dirty: true\n");
            }
            if (layer.corrupt()) {
                out.append("corrupt: true\n");
            }
        }
        if (partitions != null && partitions.partitionTable() != null) {
            out.append("\npartition table: ").append(partitions.partitionTable()).append('\n');
            for (Object p : partitions.partitions()) {
                out.append("    ").append(p).append('\n');
            }
        }
        return out.toString();
    }

    private static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes + " B" : String.format(java.util.Locale.ROOT, "%.3g %s", value, units[unit]);
    }
}
