package io.amiforge.imagefmt.qcow2;

import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Lays out a new, empty qcow2 file: header cluster (header, backing format and feature name
 * extensions, backing file name), refcount table, L1 table, refcount blocks covering all of
 * them with refcounts of the width asked (16 bits by default). Deterministic: the same arguments give the same bytes.
 */
final class Qcow2Creator {

    private static final String[][] FEATURES = {
            {"0", "0", "dirty bit"}, {"0", "1", "corrupt bit"}, {"0", "2", "external data file"},
            {"0", "3", "compression type"}, {"0", "4", "extended L2 entries"},
            {"1", "0", "lazy refcounts"}, {"2", "0", "bitmaps"}, {"2", "1", "raw external data"}};

    /** Header length with the compression type field (byte 104), padded to 8 as qemu writes it. */
    private static final int ZSTD_HEADER_LENGTH = 112;

    private Qcow2Creator() {
    }

    static void create(Path path, long virtualSize, CreateOptions options) {
        String name = path.toString();
        int cs = options.clusterSize();
        if (cs < 512 || cs > (2 << 20) || Integer.bitCount(cs) != 1) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": cluster size " + cs + " is not a power of two from 512 to 2097152");
        }
        int version = switch (options.compat() == null ? "1.1" : options.compat()) {
            case "1.1", "v3" -> 3;
            case "0.10", "v2" -> 2;
            default -> throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": compat '" + options.compat() + "' is not 0.10 or 1.1");
        };
        boolean zstd = zstd(name, options, version);
        if (options.lazyRefcounts() && version != 3) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", name + ": lazy refcounts need compat 1.1 (qcow2 version 3)");
        }
        if (virtualSize < 0) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", name + ": size " + virtualSize + " is negative");
        }
        if (virtualSize > Long.MAX_VALUE - 511) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", name + ": size " + virtualSize + " is too large");
        }
        virtualSize = (virtualSize + 511) & ~511L; // whole sectors, as qemu-img create rounds
        int bits = Integer.numberOfTrailingZeros(cs);
        boolean extended = extendedL2(name, options, version, cs);
        int refcountOrder = refcountOrder(name, options, version);
        long clusters = virtualSize == 0 ? 0 : (virtualSize - 1) / cs + 1;
        long l2Entries = cs / (extended ? 16 : 8);
        long l1Size = clusters == 0 ? 0 : (clusters - 1) / l2Entries + 1;
        if (l1Size * 8 > Qcow2Header.MAX_L1_BYTES) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    "%s: size %d needs an L1 table of %d bytes with %d-byte clusters, more than %d; use bigger clusters"
                    .formatted(name, virtualSize, l1Size * 8, cs, Qcow2Header.MAX_L1_BYTES));
        }
        long l1Clusters = (l1Size * 8 + cs - 1) / cs;
        Preallocation prealloc = preallocation(name, options, extended);
        // Preallocated: every L2 table and every data cluster, after the refcount blocks.
        boolean external = dataFile(name, options, version);
        if (external && options.dataFileRaw() && prealloc == Preallocation.OFF) {
            // A raw data file must read as the disk, and the metadata must agree: map every cluster 1:1, as qemu does.
            prealloc = Preallocation.METADATA;
        }
        long mapped = prealloc == Preallocation.OFF ? 0 : l1Size + (external ? 0 : clusters);
        long perBlock = ((long) cs * 8) >>> refcountOrder;
        long blocks = 1;
        long tableClusters = 1;
        while (true) {
            long total = 1 + tableClusters + l1Clusters + blocks + mapped;
            long needBlocks = (total + perBlock - 1) / perBlock;
            long needTable = (needBlocks * 8 + cs - 1) / cs;
            if (needBlocks == blocks && needTable == tableClusters) {
                break;
            }
            blocks = Math.max(blocks, needBlocks);
            tableClusters = Math.max(tableClusters, needTable);
        }
        long tableOffset = cs;
        long l1Offset = tableOffset + tableClusters * cs;
        long blocksOffset = l1Offset + l1Clusters * cs;
        long total = 1 + tableClusters + l1Clusters + blocks + mapped;
        if (tableClusters * cs > Qcow2Header.MAX_REFTABLE_BYTES) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    "%s: size %d needs a refcount table of %d bytes, more than %d; use bigger clusters or wider refcounts"
                    .formatted(name, virtualSize, tableClusters * cs, Qcow2Header.MAX_REFTABLE_BYTES));
        }

        ByteBuffer header = headerCluster(name, options, version, bits, virtualSize, (int) l1Size, l1Offset, tableOffset,
                (int) tableClusters);
        if (zstd) {
            // compression_type 1 at byte 104: the header grows to 112 bytes and sets incompatible bit 3.
            header.putLong(72, Qcow2Header.INCOMPAT_COMPRESSION).put(104, (byte) 1);
        }
        if (extended) {
            header.putLong(72, header.getLong(72) | Qcow2Header.INCOMPAT_EXTL2);
        }
        if (version == 3) {
            header.putInt(96, refcountOrder);
        }
        if (options.lazyRefcounts()) {
            header.putLong(80, Qcow2Header.COMPAT_LAZY_REFCOUNTS);
        }
        if (external) {
            header.putLong(72, header.getLong(72) | Qcow2Header.INCOMPAT_DATA_FILE);
            header.putLong(88, options.dataFileRaw() ? Qcow2Header.AUTOCLEAR_DATA_FILE_RAW : 0);
        }
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING)) {
            write(channel, header, 0);
            ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * cs));
            for (int i = 0; i < blocks; i++) {
                table.putLong(i * 8, blocksOffset + (long) i * cs);
            }
            write(channel, table, tableOffset);
            byte[] refs = new byte[cs];
            for (long b = 0; b < blocks; b++) {
                java.util.Arrays.fill(refs, (byte) 0);
                for (long c = b * perBlock; c < Math.min(total, (b + 1) * perBlock); c++) {
                    Qcow2Refcounts.writeEntry(refs, refcountOrder, c - b * perBlock, 1);
                }
                write(channel, ByteBuffer.wrap(refs), blocksOffset + b * cs);
            }
            if (prealloc != Preallocation.OFF) {
                long l2Offset = blocksOffset + blocks * cs;
                // With a backing file the subclusters stay unallocated (they read from it) though their clusters are reserved.
                long bitmap = options.backingFile() == null ? 0xffff_ffffL : 0;
                Qcow2Preallocation.map(channel, cs, extended, bitmap, clusters, l1Size, l1Offset, l2Offset,
                        external ? 0 : l2Offset + l1Size * cs);
            }
            channel.truncate(total * cs);
            if (channel.size() < total * cs) {
                write(channel, ByteBuffer.allocate(1), total * cs - 1);
            }
            if (external) {
                createDataFile(path, options, virtualSize, prealloc);
            } else if (prealloc == Preallocation.FALLOC || prealloc == Preallocation.FULL) {
                long dataOffset = blocksOffset + (blocks + l1Size) * cs;
                Qcow2Preallocation.fill(path, channel, dataOffset, clusters * cs, prealloc == Preallocation.FULL);
            }
        } catch (IOException e) {
            throw new BlockDeviceException.Io(name, "cannot create", e);
        }
    }

    /** Whether {@code options} name an external data file, checked against the other options. */
    private static boolean dataFile(String name, CreateOptions options, int version) {
        if (options.dataFile() == null) {
            if (options.dataFileRaw()) {
                throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", name + ": data_file_raw needs data_file");
            }
            return false;
        }
        String problem = options.dataFile().isEmpty() ? "an empty data file name"
                : options.dataFile().getBytes(StandardCharsets.UTF_8).length > 1023 ? "a data file name over 1023 bytes"
                : version != 3 ? "compat 0.10 (external data files need qcow2 version 3)"
                : options.compressed() ? "compressed clusters (an external data file holds no compressed clusters)"
                : options.dataFileRaw() && options.backingFile() != null ? "data_file_raw with a backing file (a raw data file cannot defer to one)"
                : null;
        if (problem != null) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", name + ": data_file cannot be combined with " + problem);
        }
        return true;
    }

    /**
     * Creates (replacing) the external data file at the name {@code options} give, relative to
     * the new image's directory: the creator chose it, so it is trusted. Sized to the disk, sparse
     * unless preallocated.
     */
    private static void createDataFile(Path image, CreateOptions options, long virtualSize, Preallocation prealloc) throws IOException {
        Path data = io.amiforge.imagefmt.format.BackingChain.resolve(image, options.dataFile());
        try (FileChannel channel = FileChannel.open(data, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.READ, StandardOpenOption.TRUNCATE_EXISTING)) {
            if (virtualSize > 0) {
                write(channel, ByteBuffer.allocate(1), virtualSize - 1);
            }
            if (prealloc == Preallocation.FALLOC || prealloc == Preallocation.FULL) {
                Qcow2Preallocation.fill(data, channel, 0, virtualSize, prealloc == Preallocation.FULL);
            }
        }
    }

    /** qemu-img's preallocation modes. */
    enum Preallocation { OFF, METADATA, FALLOC, FULL }

    private static Preallocation preallocation(String name, CreateOptions options, boolean extended) {
        String mode = options.preallocation() == null ? "off" : options.preallocation();
        Preallocation p = switch (mode) {
            case "off" -> Preallocation.OFF;
            case "metadata" -> Preallocation.METADATA;
            case "falloc" -> Preallocation.FALLOC;
            case "full" -> Preallocation.FULL;
            default -> throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": preallocation '" + mode + "' is not off, metadata, falloc or full");
        };
        if (p != Preallocation.OFF && options.backingFile() != null && !extended) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", name
                    + ": preallocation with a backing file needs extended L2 entries (preallocated clusters would hide the backing file)");
        }
        return p;
    }

    /** Whether {@code options} ask for extended L2 entries, checked against the version and cluster size. */
    private static boolean extendedL2(String name, CreateOptions options, int version, int cs) {
        if (!options.extendedL2()) {
            return false;
        }
        if (version != 3) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue", name + ": extended L2 entries need compat 1.1 (qcow2 version 3)");
        }
        if (cs < 16384) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": extended L2 entries need clusters of at least 16 KiB (cluster size " + cs + ")");
        }
        return true;
    }

    /** log2 of the refcount width {@code options} ask for: a power of two from 1 to 64, only 16 in version 2. */
    private static int refcountOrder(String name, CreateOptions options, int version) {
        int bits = options.refcountBits();
        if (bits < 1 || bits > 64 || Integer.bitCount(bits) != 1) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": refcount_bits " + bits + " is not a power of two from 1 to 64");
        }
        if (version != 3 && bits != 16) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": refcount_bits " + bits + " needs compat 1.1 (qcow2 version 2 has only 16-bit refcounts)");
        }
        return Integer.numberOfTrailingZeros(bits);
    }

    /** Whether {@code options} ask for zstd compressed clusters; zlib is the default. */
    private static boolean zstd(String name, CreateOptions options, int version) {
        String type = options.compressionType() == null ? "zlib" : options.compressionType().toLowerCase(java.util.Locale.ROOT);
        return switch (type) {
            case "zlib", "deflate" -> false;
            case "zstd" -> {
                if (version != 3) {
                    throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                            name + ": compression type zstd needs compat 1.1 (qcow2 version 3)");
                }
                yield true;
            }
            default -> throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": compression type '" + options.compressionType() + "' is not zlib or zstd");
        };
    }

    private static void write(FileChannel channel, ByteBuffer buffer, long offset) throws IOException {
        buffer.rewind();
        while (buffer.hasRemaining()) {
            channel.write(buffer, offset + buffer.position());
        }
    }

    private static ByteBuffer headerCluster(String name, CreateOptions options, int version, int bits, long size, int l1Size,
                                            long l1Offset, long tableOffset, int tableClusters) {
        int cs = 1 << bits;
        byte[] backing = options.backingFile() == null ? null : options.backingFile().getBytes(StandardCharsets.UTF_8);
        if (backing != null && (backing.length == 0 || backing.length > 1023)) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": backing file name is " + backing.length + " bytes, expected 1 to 1023");
        }
        byte[] format = options.backingFormat() == null ? null : options.backingFormat().getBytes(StandardCharsets.UTF_8);
        boolean zstd = "zstd".equalsIgnoreCase(options.compressionType());
        int headerLength = version == 3 ? (zstd ? ZSTD_HEADER_LENGTH : Qcow2Header.V3_LENGTH) : Qcow2Header.V2_LENGTH;
        byte[] dataName = options.dataFile() == null ? null : options.dataFile().getBytes(StandardCharsets.UTF_8);
        int formatExt = (format == null ? 0 : 8 + ((format.length + 7) & ~7))
                + (dataName == null ? 0 : 8 + ((dataName.length + 7) & ~7));
        int featureExt = 8 + FEATURES.length * 48;
        int backingLength = backing == null ? 0 : backing.length;
        boolean withFeatures = version == 3 && headerLength + formatExt + featureExt + 8 + backingLength <= cs;
        int extEnd = headerLength + formatExt + (withFeatures ? featureExt : 0) + 8;
        if (extEnd + backingLength > cs) {
            throw new ImageFormatException(Kind.USAGE, "InvalidParameterValue",
                    name + ": header, extensions and backing file name need " + (extEnd + backingLength)
                            + " bytes, more than one " + cs + "-byte cluster");
        }
        ByteBuffer b = ByteBuffer.allocate(cs);
        b.putInt(0, Qcow2Header.MAGIC).putInt(4, version);
        if (backing != null) {
            b.putLong(8, extEnd).putInt(16, backing.length);
            b.put(extEnd, backing);
        }
        b.putInt(20, bits).putLong(24, size).putInt(32, 0).putInt(36, l1Size).putLong(40, l1Offset)
                .putLong(48, tableOffset).putInt(56, tableClusters).putInt(60, 0).putLong(64, 0);
        if (version == 3) {
            b.putLong(72, 0).putLong(80, 0).putLong(88, 0).putInt(96, 4).putInt(100, headerLength);
        }
        int pos = headerLength;
        if (format != null) {
            b.putInt(pos, Qcow2Header.EXT_BACKING_FORMAT).putInt(pos + 4, format.length);
            b.put(pos + 8, format);
            pos += 8 + ((format.length + 7) & ~7);
        }
        if (dataName != null) {
            b.putInt(pos, Qcow2Header.EXT_DATA_FILE).putInt(pos + 4, dataName.length);
            b.put(pos + 8, dataName);
            pos += 8 + ((dataName.length + 7) & ~7);
        }
        if (withFeatures) {
            b.putInt(pos, Qcow2Header.EXT_FEATURE_TABLE).putInt(pos + 4, FEATURES.length * 48);
            int e = pos + 8;
            for (String[] f : FEATURES) {
                b.put(e, (byte) Integer.parseInt(f[0])).put(e + 1, (byte) Integer.parseInt(f[1]));
                b.put(e + 2, f[2].getBytes(StandardCharsets.US_ASCII));
                e += 48;
            }
            pos += featureExt;
        }
        b.putInt(pos, Qcow2Header.EXT_END).putInt(pos + 4, 0);
        return b;
    }
}
