package io.amiforge.imagefmt.vmdk;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.raw.RawFormat;
import io.amiforge.imagefmt.sparse.FileRegionDevice;
import io.amiforge.imagefmt.sparse.HostFile;
import io.amiforge.imagefmt.sparse.Signature;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * VMDK images. A file starting with the sparse magic is one sparse extent (monolithicSparse,
 * streamOptimized: its grain directory then comes from the footer); a file starting with
 * {@code # Disk DescriptorFile} is a descriptor whose extents (sparse, flat, zero) are opened
 * in order. Delta links (a {@code parentFileNameHint}) are refused as unsupported.
 */
public final class VmdkFormat implements ImageFormat {

    private static final Signature DESCRIPTOR_SIGNATURE = new Signature("# Disk DescriptorFile");
    private static final Signature DESCRIPTOR_SIGNATURE2 = new Signature("# Disk Descriptor File");
    private static final long GRAIN_SECTORS = 128;
    private static final int GTES_PER_GT = 512;
    private static final long DESCRIPTOR_SECTORS = 20;
    /** The most extents a descriptor may name (a 2 TB twoGbMaxExtent disk has about a thousand). */
    private static final int MAX_EXTENTS = 1 << 16;
    /** {@code OutputFile}'s temporary names: the embedded descriptor names the file it becomes. */
    private static final Pattern TEMP_NAME = Pattern.compile("^\\.(.+)\\.\\d+\\.partial$");

    /** For {@link java.util.ServiceLoader}. */
    public VmdkFormat() {
    }

    @Override
    public String name() {
        return "vmdk";
    }

    @Override
    public boolean probe(MemorySegment header, long fileSize) {
        if (header.byteSize() >= 4 && header.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0)
                == VmdkSparseHeader.MAGIC) {
            return true;
        }
        return DESCRIPTOR_SIGNATURE.startsOf(header) || DESCRIPTOR_SIGNATURE2.startsOf(header);
    }

    @Override
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
        HostFile file = HostFile.open(path, readOnly);
        try {
            ByteBuffer first = ByteBuffer.allocate(VmdkSparseHeader.SIZE);
            file.read(0, first);
            if (VmdkSparseHeader.hasMagic(first)) {
                return openSparse(file, readOnly);
            }
            VmdkDescriptor descriptor = readDescriptorFile(file);
            file.close();
            return openDescriptor(path, descriptor, readOnly);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /**
     * Opens, read-only, the sparse or stream-optimized VMDK stored as {@code length} bytes from
     * offset {@code start} of {@code archive} (a disk inside an OVA's tar), named {@code name} in
     * errors; closing the device closes the archive.
     */
    public static BlockDevice openMember(Path archive, long start, long length, String name) {
        HostFile file = HostFile.open(archive, true);
        try {
            HostFile member = file.slice(start, length, archive + "(" + name + ")");
            ByteBuffer first = ByteBuffer.allocate(VmdkSparseHeader.SIZE);
            member.read(0, first);
            if (!VmdkSparseHeader.hasMagic(first)) {
                throw ImageFormatException.unsupported(member.name(), "only sparse and stream-optimized VMDK disks are read from an archive");
            }
            return openSparse(member, true);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    /** The sparse extent in {@code file}, its grain directory from the header or, for a stream, the footer. */
    private static VmdkSparseExtent openSparse(HostFile file, boolean readOnly) {
        VmdkSparseHeader header = VmdkSparseHeader.parse(file.name(),
                file.readStructure(0, VmdkSparseHeader.SIZE, "VMDK sparse header", ByteOrder.LITTLE_ENDIAN), 0);
        if (header.compressed() && !readOnly) {
            throw ImageFormatException.notWritable(file.name(),
                    "a stream-optimized VMDK is written once, front to back; open it read-only or convert it");
        }
        long gd = header.gdOffset();
        if (gd == VmdkSparseHeader.GD_AT_END) {
            long at = file.size() - 1024;
            VmdkSparseHeader footer = VmdkSparseHeader.parse(file.name(),
                    file.readStructure(at, VmdkSparseHeader.SIZE, "VMDK stream footer", ByteOrder.LITTLE_ENDIAN), at,
                    "VMDK stream footer");
            gd = footer.gdOffset();
            if (gd == VmdkSparseHeader.GD_AT_END) {
                throw ImageFormatException.field(file.name(), "VMDK stream footer gdOffset", at + 56, "still says 'at the end'");
            }
        }
        if (gd <= 0 || gd > file.size() / 512) {
            throw ImageFormatException.field(file.name(), "VMDK sparse header gdOffset", 56,
                    "sector %d lies outside the file (size 0x%x)".formatted(gd, file.size()));
        }
        return new VmdkSparseExtent(file, header, gd * 512, readOnly);
    }

    private static VmdkDescriptor readDescriptorFile(HostFile file) {
        if (file.size() > VmdkDescriptor.MAX_BYTES) {
            throw ImageFormatException.corrupt(file.name(), "VMDK descriptor file of %d bytes is larger than %d: not a descriptor"
                    .formatted(file.size(), VmdkDescriptor.MAX_BYTES));
        }
        ByteBuffer text = file.readStructure(0, file.size(), "VMDK descriptor", ByteOrder.LITTLE_ENDIAN);
        return VmdkDescriptor.parse(file.name(), new String(text.array(), StandardCharsets.UTF_8), 0);
    }

    private static BlockDevice openDescriptor(Path path, VmdkDescriptor descriptor, boolean readOnly) {
        if (descriptor.values().containsKey("parentFileNameHint")) {
            throw ImageFormatException.unsupported(path.toString(), "VMDK delta links (parentFileNameHint) are not supported");
        }
        if (descriptor.extents().isEmpty()) {
            throw ImageFormatException.corrupt(path.toString(), "VMDK descriptor names no extent");
        }
        if (descriptor.extents().size() > MAX_EXTENTS) {
            throw ImageFormatException.corrupt(path.toString(), "VMDK descriptor names %d extents, more than %d"
                    .formatted(descriptor.extents().size(), MAX_EXTENTS));
        }
        BackingChain extentRule = BackingChain.startingAt(path, MAX_EXTENTS);
        List<BlockDevice> devices = new ArrayList<>();
        List<String> files = new ArrayList<>();
        long[] sizes = new long[descriptor.extents().size()];
        try {
            for (int i = 0; i < sizes.length; i++) {
                VmdkDescriptor.Extent extent = descriptor.extents().get(i);
                sizes[i] = Math.multiplyExact(extent.sectors(), 512);
                boolean extentReadOnly = readOnly || !extent.access().equals("RW");
                files.add(extent.type().equals("ZERO") ? null : path.resolveSibling(extent.file()).toString());
                devices.add(switch (extent.type()) {
                    case "ZERO" -> null;
                    case "FLAT", "VMFS" -> {
                        HostFile file = HostFile.open(extentRule.enter(path, extent.file()), extentReadOnly);
                        yield new FileRegionDevice(file, Math.multiplyExact(extent.offset(), 512), sizes[i], extentReadOnly);
                    }
                    case "SPARSE" -> {
                        HostFile file = HostFile.open(extentRule.enter(path, extent.file()), extentReadOnly);
                        VmdkSparseExtent sparse;
                        try {
                            sparse = openSparse(file, extentReadOnly);
                        } catch (RuntimeException | Error e) {
                            file.close();
                            throw e;
                        }
                        if (sparse.size() < sizes[i]) {
                            sparse.close();
                            throw ImageFormatException.corrupt(path.toString(), "VMDK extent %d ('%s') holds %d bytes, the descriptor says %d"
                                    .formatted(i, extent.file(), sparse.size(), sizes[i]));
                        }
                        yield sparse;
                    }
                    default -> throw ImageFormatException.unsupported(path.toString(),
                            "VMDK extent %d has type %s (supported: SPARSE, FLAT, VMFS, ZERO)".formatted(i, extent.type()));
                });
            }
            return new VmdkDevice(path.toString(), devices, sizes, files, readOnly);
        } catch (RuntimeException | Error e) {
            for (BlockDevice device : devices) {
                if (device != null) {
                    device.close();
                }
            }
            throw e;
        }
    }

    @Override
    public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
        if (options.backingFile() != null) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": VMDK delta links are not supported");
        }
        if (virtualSize < 0 || virtualSize % 512 != 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": size " + virtualSize + " is not a non-negative multiple of 512 (VMDK counts sectors)");
        }
        String subformat = options.subformat() == null ? "monolithicSparse" : options.subformat();
        boolean stream = switch (subformat.toLowerCase(Locale.ROOT)) {
            case "monolithicsparse" -> false;
            case "streamoptimized" -> true;
            default -> throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": vmdk subformat '" + subformat
                    + "' cannot be created (supported: monolithicSparse, streamOptimized)");
        };
        long capacity = virtualSize / 512;
        String descriptor = VmdkDescriptor.render(stream ? "streamOptimized" : "monolithicSparse", capacity, "SPARSE",
                finalName(path), ThreadLocalRandom.current().nextInt());
        HostFile file = HostFile.create(path);
        try {
            file.write(512, ByteBuffer.wrap(descriptor.getBytes(StandardCharsets.US_ASCII)));
            if (stream) {
                VmdkSparseHeader header = new VmdkSparseHeader(VmdkSparseHeader.FLAG_NEWLINE_TEST | VmdkSparseHeader.FLAG_COMPRESSED
                        | VmdkSparseHeader.FLAG_MARKERS, capacity, GRAIN_SECTORS, 1, DESCRIPTOR_SECTORS, GTES_PER_GT, 0,
                        VmdkSparseHeader.GD_AT_END, GRAIN_SECTORS, 1);
                file.write(0, header.encode());
                file.truncate(GRAIN_SECTORS * 512);
                return VmdkSparseExtent.empty(file, header);
            }
            long tables = (capacity + GRAIN_SECTORS * GTES_PER_GT - 1) / (GRAIN_SECTORS * GTES_PER_GT);
            long gdSectors = (4 * tables + 511) / 512;
            long gd = 1 + DESCRIPTOR_SECTORS;
            long firstGt = gd + gdSectors;
            long gtSectors = GTES_PER_GT * 4 / 512;
            long overhead = (firstGt + tables * gtSectors + GRAIN_SECTORS - 1) / GRAIN_SECTORS * GRAIN_SECTORS;
            VmdkSparseHeader header = new VmdkSparseHeader(VmdkSparseHeader.FLAG_NEWLINE_TEST, capacity, GRAIN_SECTORS, 1,
                    DESCRIPTOR_SECTORS, GTES_PER_GT, 0, gd, overhead, 0);
            file.write(0, header.encode());
            ByteBuffer directory = ByteBuffer.allocate((int) (gdSectors * 512)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < tables; i++) {
                directory.putInt(4 * i, (int) (firstGt + i * gtSectors));
            }
            file.write(gd * 512, directory);
            file.truncate(overhead * 512);
            return new VmdkSparseExtent(file, header, gd * 512, false);
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    private static String finalName(Path path) {
        String name = path.getFileName().toString();
        Matcher temp = TEMP_NAME.matcher(name);
        return temp.matches() ? temp.group(1) : name;
    }

    @Override
    public ImageInfo info(Path path) {
        Map<String, Object> specific = new LinkedHashMap<>();
        try (BlockDevice device = open(path, true, BackingChain.startingAt(path, 0));
             HostFile file = HostFile.open(path, true)) {
            int cluster = 0;
            ByteBuffer first = ByteBuffer.allocate(VmdkSparseHeader.SIZE);
            file.read(0, first);
            VmdkDescriptor descriptor;
            if (VmdkSparseHeader.hasMagic(first)) {
                VmdkSparseHeader header = ((VmdkSparseExtent) device).header();
                cluster = (int) (header.grainSize() * 512);
                long at = header.descriptorOffset() * 512;
                long length = Math.min(header.descriptorSize() * 512, VmdkDescriptor.MAX_BYTES);
                descriptor = at == 0 ? null : VmdkDescriptor.parse(path.toString(), new String(
                        file.readStructure(at, length, "VMDK embedded descriptor", ByteOrder.LITTLE_ENDIAN).array(),
                        StandardCharsets.US_ASCII), at);
                specific.put("compressed", header.compressed());
            } else {
                descriptor = readDescriptorFile(file);
                specific.put("extents", descriptor.extents().size());
            }
            if (descriptor != null) {
                specific.put("createType", descriptor.createType());
                specific.put("cid", descriptor.values().get("CID"));
            }
            return new ImageInfo(path.toString(), name(), device.size(), RawFormat.diskUsage(path, file.size()), cluster,
                    null, null, List.of(), false, false, specific);
        }
    }
}
