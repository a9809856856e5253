package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.partition.Partition;
import io.amiforge.imagefmt.partition.PartitionTable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code image info FILE}: like {@code qemu-img info --backing-chain}. JSON:
 * {@code {format, virtualSize, backingChain[], partitionTable, partitions[]}} plus details.
 */
@Command(name = "info",
        description = {"Describe a disk image, its whole backing chain and its partitions, as qemu-img info --backing-chain.",
            "Example: amiforge image info --output=json disk.qcow2"})
public final class ImageInfoCommand extends ImageCommandBase {

    /** What the partition reader found on a disk: the table type ("mbr", "gpt", null) and its entries. */
    public record Partitions(String partitionTable, List<?> partitions) {
    }

    @Parameters(index = "0", paramLabel = "FILE",
            description = "The image file (format probed by content unless -f names it). Example: disk.qcow2")
    Path file;

    @Override
    protected int execute() {
        ImageSource source = imageOptions.source(file);
        ImageInfo info = ImageFormats.info(source);
        Partitions partitions;
        try (BlockDevice device = ImageFormats.open(source, true)) {
            partitions = readPartitions(device);
        }
        Map<String, Object> json = describe(info);
        List<Object> chain = new ArrayList<>();
        for (ImageInfo layer : info.backingChain()) {
            chain.add(describe(layer));
        }
        json.put("backingChain", chain);
        json.put("partitionTable", partitions == null ? null : partitions.partitionTable());
        json.put("partitions", partitions == null ? null : partitions.partitions());
        print(json, text(info, ChainNames.of(file, info), partitions));
        return 0;
    }

    /**
     * The guest's view of the disk: its partition table ({@code mbr}, {@code gpt}, or {@code none})
     * and each partition with the filesystem found in it; an unpartitioned disk is listed as one
     * entry (index 0) when it holds a filesystem. Table warnings are included.
     */
    static Partitions readPartitions(BlockDevice disk) {
        PartitionTable table = PartitionTable.read(disk);
        List<Map<String, Object>> entries = new ArrayList<>();
        if (table.scheme() == PartitionTable.Scheme.NONE) {
            String fs = filesystem(disk);
            if (fs != null) {
                entries.add(entry(0, 0, disk.size() / 512, null, false, fs));
            }
        }
        for (Partition p : table.partitions()) {
            String fs;
            try (BlockDevice view = PartitionTable.open(disk, p)) {
                fs = filesystem(view);
            } catch (AmiforgeException e) {
                fs = null; // a partition reaching past the disk: the table warning says so
            }
            entries.add(entry(p.index(), p.startLba(), p.sectors(), p.type(), p.bootable(), fs));
        }
        if (!table.warnings().isEmpty()) {
            entries.forEach(e -> e.put("warnings", table.warnings()));
        }
        return new Partitions(table.scheme().name().toLowerCase(java.util.Locale.ROOT), entries);
    }

    private static Map<String, Object> entry(int index, long start, long sectors, String type, boolean bootable, String fs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", index);
        m.put("start", start);
        m.put("sectors", sectors);
        m.put("type", type);
        m.put("bootable", bootable);
        m.put("filesystem", fs);
        return m;
    }

    /** "ext2", "ext3" or "ext4" when {@code device} holds one, else null. */
    private static String filesystem(BlockDevice device) {
        try {
            return ExtFileSystem.probe(device) ? ExtFileSystem.open(device).superblock().kind() : null;
        } catch (AmiforgeException e) {
            return null; // damaged: image info reports layout, fs commands report the damage
        }
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

    private static String text(ImageInfo info, List<String> names, Partitions partitions) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < info.backingChain().size(); i++) {
            ImageInfo layer = info.backingChain().get(i);
            if (!out.isEmpty()) {
                out.append('\n');
            }
            out.append("image: ").append(names.get(i)).append('\n');
            out.append("file format: ").append(layer.format()).append('\n');
            out.append("virtual size: ").append(HumanSize.of(layer.virtualSize())).append(" (").append(layer.virtualSize()).append(" bytes)\n");
            out.append("disk size: ").append(HumanSize.of(layer.actualSize())).append('\n');
            if (layer.clusterSize() != 0) {
                out.append("cluster_size: ").append(layer.clusterSize()).append('\n');
            }
            if (layer.backingFile() != null) {
                out.append("backing file: ").append(layer.backingFile());
                if (i + 1 < names.size() && !names.get(i + 1).equals(layer.backingFile())) {
                    out.append(" (actual path: ").append(names.get(i + 1)).append(')');
                }
                out.append('\n');
            }
            if (layer.backingFormat() != null) {
                out.append("backing file format: ").append(layer.backingFormat()).append('\n');
            }
            if (!layer.formatSpecific().isEmpty() || layer.corrupt()) {
                out.append("Format specific information:\n");
                formatSpecific(layer, out);
            }
            if (layer.dirty()) {
                out.append("dirty flag: true\n");
            }
        }
        if (partitions != null && partitions.partitionTable() != null
                && !(partitions.partitionTable().equals("none") && partitions.partitions().isEmpty())) {
            out.append("partition table: ").append(partitions.partitionTable()).append('\n');
            for (Object p : partitions.partitions()) {
                out.append("    ").append(partitionLine((Map<?, ?>) p)).append('\n');
            }
        }
        return out.toString();
    }

    /** qemu-img's order of the qcow2 details it prints; other details follow in the format's order. */
    private static final List<String> QEMU_ORDER = List.of("compat", "compressionType", "lazyRefcounts", "refcountBits", "corrupt", "extendedL2");

    /** The "Format specific information" lines of {@code layer}, in qemu-img's order, corrupt included. */
    private static void formatSpecific(ImageInfo layer, StringBuilder out) {
        Map<String, Object> details = new LinkedHashMap<>();
        for (String key : QEMU_ORDER) {
            if (key.equals("corrupt")) {
                details.put(key, layer.corrupt());
            } else if (layer.formatSpecific().containsKey(key)) {
                details.put(key, layer.formatSpecific().get(key));
            }
        }
        layer.formatSpecific().forEach(details::putIfAbsent);
        if (Long.valueOf(0).equals(details.get("snapshots"))) {
            details.remove("snapshots"); // qemu-img lists snapshots in their own section, and none when there are none
        }
        details.forEach((key, value) -> {
            if (value instanceof List<?> list) {
                // nested records (an OVA's disks) as qemu-img nests them: "[0]:" then indented fields
                out.append("    ").append(words(key)).append(":\n");
                for (int i = 0; i < list.size(); i++) {
                    out.append("        [").append(i).append("]:\n");
                    if (list.get(i) instanceof Map<?, ?> item) {
                        item.forEach((k, v) -> out.append("            ").append(words(String.valueOf(k))).append(": ").append(v).append('\n'));
                    } else {
                        out.append("            ").append(list.get(i)).append('\n');
                    }
                }
            } else {
                out.append("    ").append(words(key)).append(": ").append(value).append('\n');
            }
        });
    }

    /** One partition as a line: {@code 1: start 2048, 8192 sectors (4 MiB), type 0x83, bootable, ext2}. */
    private static String partitionLine(Map<?, ?> p) {
        long sectors = (Long) p.get("sectors");
        StringBuilder line = new StringBuilder().append(p.get("index")).append(": start ").append(p.get("start"))
                .append(", ").append(sectors).append(" sectors (").append(HumanSize.of(sectors * 512)).append(')');
        if (p.get("type") != null) {
            line.append(", type ").append(p.get("type"));
        }
        if (Boolean.TRUE.equals(p.get("bootable"))) {
            line.append(", bootable");
        }
        line.append(", ").append(p.get("filesystem") == null ? "no filesystem found" : p.get("filesystem"));
        if (p.get("warnings") instanceof List<?> warnings && !warnings.isEmpty()) {
            line.append(" (warnings: ").append(String.join("; ", warnings.stream().map(String::valueOf).toList())).append(')');
        }
        return line.toString();
    }

    /** qemu-img's spelling of a format-specific key: {@code refcountBits} becomes {@code refcount bits}. */
    static String words(String camelCase) {
        return camelCase.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT);
    }

}
