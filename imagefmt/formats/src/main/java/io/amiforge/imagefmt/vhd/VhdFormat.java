package io.amiforge.imagefmt.vhd;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.imagefmt.format.BackingChain;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormat;
import io.amiforge.imagefmt.format.ImageFormatException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageInfo;
import io.amiforge.imagefmt.raw.RawFormat;
import io.amiforge.imagefmt.sparse.FileRegionDevice;
import io.amiforge.imagefmt.sparse.HostFile;
import io.amiforge.imagefmt.sparse.Signature;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * VHD images under qemu-img's name {@code vpc}. Dynamic and differencing disks are probed by the
 * footer copy at offset 0; a fixed disk has its footer only at the end, so, as with qemu-img,
 * it is opened only when the caller names the format. A differencing disk's parent (found
 * through its parent locators, a relative path first) is a backing file in format vpc.
 */
public final class VhdFormat implements ImageFormat {

    /** Guest bytes per block of the dynamic disks created here (the specification's default). */
    static final int BLOCK_SIZE = 2 << 20;
    private static final long EPOCH_2000 = 946_684_800L;
    private static final String CREATOR = "amif";
    private static final Signature COOKIE = new Signature("conectix");

    /** For {@link java.util.ServiceLoader}. */
    public VhdFormat() {
    }

    @Override
    public String name() {
        return "vpc";
    }

    @Override
    public boolean probe(MemorySegment header, long fileSize) {
        return header.byteSize() >= VhdFooter.SIZE && COOKIE.startsOf(header);
    }

    /** The footer at the end of the file or, when that one is missing (a truncated copy), the copy at 0. */
    private static VhdFooter footer(HostFile file) {
        long size = file.size();
        if (size < VhdFooter.SIZE) {
            throw ImageFormatException.corrupt(file.name(), "file of %d bytes is too short for a VHD footer (512 bytes)".formatted(size));
        }
        ByteBuffer end = file.readStructure(size - VhdFooter.SIZE, VhdFooter.SIZE, "VHD footer", ByteOrder.BIG_ENDIAN);
        if (!VhdFooter.hasCookie(end, 0)) {
            ByteBuffer start = file.readStructure(0, VhdFooter.SIZE, "VHD footer copy", ByteOrder.BIG_ENDIAN);
            if (VhdFooter.hasCookie(start, 0)) {
                return VhdFooter.parse(file.name(), start, 0);
            }
        }
        return VhdFooter.parse(file.name(), end, size - VhdFooter.SIZE);
    }

    @Override
    public BlockDevice open(Path path, boolean readOnly, BackingChain chain) {
        HostFile file = HostFile.open(path, readOnly);
        try {
            VhdFooter footer = footer(file);
            if (footer.diskType() == VhdFooter.FIXED) {
                long size = footer.virtualSize();
                if (size > file.size() - VhdFooter.SIZE) {
                    throw ImageFormatException.field(file.name(), "VHD footer current size", file.size() - VhdFooter.SIZE + 48,
                            "%d bytes, but the fixed disk's file holds only %d".formatted(size, file.size() - VhdFooter.SIZE));
                }
                return new FileRegionDevice(file, 0, size, readOnly);
            }
            VhdDynamicHeader header = dynamicHeader(file, footer);
            BlockDevice parent = null;
            if (footer.diskType() == VhdFooter.DIFFERENCING) {
                String name = header.parentPath(file);
                if (name == null) {
                    throw ImageFormatException.corrupt(file.name(), "differencing VHD has no parent locator and no parent name");
                }
                parent = chain.openBacking(path, name, name());
            }
            try {
                return new VhdDevice(file, footer, header, readOnly, parent);
            } catch (RuntimeException | Error e) {
                if (parent != null) {
                    parent.close();
                }
                throw e;
            }
        } catch (RuntimeException | Error e) {
            file.close();
            throw e;
        }
    }

    private static VhdDynamicHeader dynamicHeader(HostFile file, VhdFooter footer) {
        long at = footer.dataOffset();
        if (at < 0 || at > file.size() - VhdDynamicHeader.SIZE) {
            throw ImageFormatException.field(file.name(), "VHD footer data offset", file.size() - VhdFooter.SIZE + 16,
                    "0x%x lies outside the file (size 0x%x)".formatted(at, file.size()));
        }
        return VhdDynamicHeader.read(file, at);
    }

    @Override
    public BlockDevice create(Path path, long virtualSize, CreateOptions options) {
        String subformat = options.subformat() == null ? "dynamic" : options.subformat().toLowerCase(Locale.ROOT);
        if (!subformat.equals("dynamic") && !subformat.equals("fixed")) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": vpc subformat '" + options.subformat() + "' is not one of dynamic, fixed");
        }
        UUID parentId = new UUID(0, 0);
        long size = virtualSize;
        if (options.backingFile() != null) {
            if (subformat.equals("fixed")) {
                throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", path + ": a fixed VHD cannot have a parent");
            }
            Path parentPath = BackingChain.resolve(path, options.backingFile());
            ImageInfo parentInfo = options.backingFormat() == null ? ImageFormats.info(parentPath)
                    : ImageFormats.byName(options.backingFormat()).info(parentPath);
            if (!parentInfo.format().equals(name())) {
                throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                        path + ": the parent of a differencing VHD must be a VHD, not " + parentInfo.format());
            }
            size = size < 0 ? parentInfo.virtualSize() : size;
            parentId = UUID.fromString(String.valueOf(parentInfo.formatSpecific().get("uniqueId")));
        }
        if (size < 0 || size % 512 != 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": size " + size + " is not a non-negative multiple of 512 (VHD counts sectors)");
        }
        if (size > 2040L << 30) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    path + ": size " + size + " is larger than a VHD can hold (2040 GiB)");
        }
        int type = subformat.equals("fixed") ? VhdFooter.FIXED
                : options.backingFile() == null ? VhdFooter.DYNAMIC : VhdFooter.DIFFERENCING;
        int now = (int) (Instant.now().getEpochSecond() - EPOCH_2000);
        VhdFooter footer = new VhdFooter(type == VhdFooter.FIXED ? -1L : VhdFooter.SIZE, now, CREATOR, size, size,
                VhdFooter.geometryFor(size), type, UUID.randomUUID());
        try (HostFile file = HostFile.create(path)) {
            if (type == VhdFooter.FIXED) {
                file.truncate(size);
                file.write(size, footer.encode());
            } else {
                writeDynamic(file, footer, options.backingFile(), parentId);
            }
        }
        return open(path, false, BackingChain.startingAt(path, BackingChain.DEFAULT_MAX_DEPTH));
    }

    /** Footer copy, dynamic header, an empty BAT, the parent's locator path, then the footer. */
    private static void writeDynamic(HostFile file, VhdFooter footer, String parentName, UUID parentId) {
        int entries = (int) ((footer.currentSize() + BLOCK_SIZE - 1) / BLOCK_SIZE);
        long table = VhdFooter.SIZE + VhdDynamicHeader.SIZE;
        long end = table + ((4L * entries + 511) & ~511L);
        List<VhdDynamicHeader.Locator> locators = List.of();
        String shortName = "";
        if (parentName != null) {
            byte[] relative = parentName.replace('/', '\\').getBytes(StandardCharsets.UTF_16LE);
            int space = (relative.length + 511) & ~511;
            locators = List.of(new VhdDynamicHeader.Locator(VhdDynamicHeader.W2RU, space, relative.length, end));
            file.write(end, ByteBuffer.wrap(relative));
            end += space;
            shortName = Path.of(parentName).getFileName().toString();
        }
        ByteBuffer bat = ByteBuffer.allocate((int) ((4L * entries + 511) & ~511L));
        for (int i = 0; i < entries; i++) {
            bat.putInt(4 * i, -1);
        }
        file.write(VhdFooter.SIZE, new VhdDynamicHeader(table, entries, BLOCK_SIZE, parentId, shortName, locators).encode());
        file.write(table, bat);
        file.write(0, footer.encode());
        file.write(end, footer.encode());
    }

    @Override
    public ImageInfo info(Path path) {
        try (HostFile file = HostFile.open(path, true)) {
            VhdFooter footer = footer(file);
            Map<String, Object> specific = new LinkedHashMap<>();
            specific.put("subformat", switch (footer.diskType()) {
                case VhdFooter.FIXED -> "fixed";
                case VhdFooter.DYNAMIC -> "dynamic";
                default -> "differencing";
            });
            specific.put("creator", footer.creatorApp().replace('\0', ' ').strip());
            specific.put("uniqueId", footer.uniqueId().toString());
            int blockSize = 0;
            String parent = null;
            if (footer.diskType() != VhdFooter.FIXED) {
                VhdDynamicHeader header = dynamicHeader(file, footer);
                blockSize = header.blockSize();
                if (footer.diskType() == VhdFooter.DIFFERENCING) {
                    parent = header.parentPath(file);
                    specific.put("parentId", header.parentId().toString());
                }
            }
            return new ImageInfo(path.toString(), name(), footer.virtualSize(), RawFormat.diskUsage(path, file.size()),
                    blockSize, parent, parent == null ? null : name(), List.of(), false, false, specific);
        }
    }
}
