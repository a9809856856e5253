package io.amiforge.imagefmt.qcow2;

import io.amiforge.imagefmt.format.ImageFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed, validated qcow2 header and header extensions (docs/interop/qcow2.txt). Every
 * check names the field and its offset in the file; every offset and size is checked against
 * the real file size, never trusted.
 */
public final class Qcow2Header {

    public static final int MAGIC = 0x514649fb; // "QFI\xfb"
    public static final int V2_LENGTH = 72;
    public static final int V3_LENGTH = 104;

    /** qemu's limits, which we share so that what we accept qemu accepts too. */
    public static final long MAX_L1_BYTES = 32L << 20;
    public static final long MAX_REFTABLE_BYTES = 8L << 20;
    public static final int MIN_CLUSTER_BITS = 9;
    public static final int MAX_CLUSTER_BITS = 21;

    public static final long INCOMPAT_DIRTY = 1;
    public static final long INCOMPAT_CORRUPT = 1 << 1;
    public static final long INCOMPAT_DATA_FILE = 1 << 2;
    public static final long INCOMPAT_COMPRESSION = 1 << 3;
    public static final long INCOMPAT_EXTL2 = 1 << 4;
    public static final long INCOMPAT_KNOWN = 0x1f;
    public static final long COMPAT_LAZY_REFCOUNTS = 1;
    public static final long AUTOCLEAR_BITMAPS = 1;
    public static final long AUTOCLEAR_DATA_FILE_RAW = 1 << 1;

    public static final int EXT_END = 0;
    public static final int EXT_BACKING_FORMAT = 0xe2792aca;
    public static final int EXT_FEATURE_TABLE = 0x6803f857;
    public static final int EXT_BITMAPS = 0x23852875;
    public static final int EXT_CRYPTO = 0x0537be77;
    public static final int EXT_DATA_FILE = 0x44415441;

    public final int version;
    public final long backingFileOffset;
    public final int backingFileSize;
    public final int clusterBits;
    public final long size;
    public final int cryptMethod;
    public final int l1Size;
    public final long l1TableOffset;
    public final long refcountTableOffset;
    public final int refcountTableClusters;
    public final int nbSnapshots;
    public final long snapshotsOffset;
    public final long incompatibleFeatures;
    public final long compatibleFeatures;
    public final long autoclearFeatures;
    public final int refcountOrder;
    public final int headerLength;
    public final int compressionType;
    /** The backing file name, or null. */
    public final String backingFile;
    /** The backing format from the header extension, or null. */
    public final String backingFormat;
    /** Feature names from the feature name table: key is {@code type * 64 + bit}. */
    public final Map<Integer, String> featureNames;
    /** Types of the header extensions present, in file order (unknown ones included). */
    public final List<Integer> extensionTypes;
    /** The external data file name from its header extension, exactly as stored, or null. */
    public final String dataFile;
    /** File offset of the external data file name extension's header, or -1 when there is none. */
    public final int dataFileExtensionOffset;

    private Qcow2Header(ByteBuffer b, String file, long fileSize) {
        this.version = b.getInt(4);
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        this.clusterBits = b.getInt(20);
        this.size = b.getLong(24);
        this.cryptMethod = b.getInt(32);
        this.l1Size = b.getInt(36);
        this.l1TableOffset = b.getLong(40);
        this.refcountTableOffset = b.getLong(48);
        this.refcountTableClusters = b.getInt(56);
        this.nbSnapshots = b.getInt(60);
        this.snapshotsOffset = b.getLong(64);
        if (version >= 3) {
            this.incompatibleFeatures = b.getLong(72);
            this.compatibleFeatures = b.getLong(80);
            this.autoclearFeatures = b.getLong(88);
            this.refcountOrder = b.getInt(96);
            this.headerLength = b.getInt(100);
        } else {
            this.incompatibleFeatures = 0;
            this.compatibleFeatures = 0;
            this.autoclearFeatures = 0;
            this.refcountOrder = 4;
            this.headerLength = V2_LENGTH;
        }
        this.compressionType = version >= 3 && headerLength > 104 ? b.get(104) & 0xff : 0;
        this.backingFileOffset = backingOffset;
        this.backingFileSize = backingSize;
        Map<Integer, String> features = new LinkedHashMap<>();
        List<Integer> types = new ArrayList<>();
        String format = null;
        String dataName = null;
        int dataAt = -1;
        // Header extensions: from the end of the header to an end marker, all inside cluster 0.
        int limit = b.limit();
        int pos = headerLength;
        while (pos + 8 <= limit) {
            int type = b.getInt(pos);
            long length = Integer.toUnsignedLong(b.getInt(pos + 4));
            if (type == EXT_END) {
                break;
            }
            if (length > limit - pos - 8) {
                throw ImageFormatException.corrupt(file,
                        "header extension 0x%08x at file offset %d has length %d, past the end of the header cluster (%d bytes)"
                        .formatted(type, pos, length, limit));
            }
            int data = pos + 8;
            types.add(type);
            switch (type) {
                case EXT_BACKING_FORMAT -> format = string(b, data, (int) length);
                case EXT_DATA_FILE -> {
                    dataName = string(b, data, (int) length);
                    dataAt = pos;
                }
                case EXT_FEATURE_TABLE -> {
                    for (int e = data; e + 48 <= data + length; e += 48) {
                        int kind = b.get(e) & 0xff;
                        int bit = b.get(e + 1) & 0xff;
                        String name = string(b, e + 2, 46);
                        int nul = name.indexOf('\0');
                        features.put(kind * 64 + bit, nul >= 0 ? name.substring(0, nul) : name);
                    }
                }
                default -> {
                    // Unknown or unused extensions are kept in the file as they are: we never rewrite them.
                }
            }
            pos = Math.toIntExact(data + ((length + 7) & ~7L));
        }
        this.featureNames = java.util.Collections.unmodifiableMap(features);
        this.extensionTypes = List.copyOf(types);
        this.backingFormat = format;
        this.dataFile = dataName;
        this.dataFileExtensionOffset = dataAt;
        if (backingOffset != 0) {
            if (backingSize <= 0 || backingSize > 1023) {
                throw ImageFormatException.field(file, "backing_file_size", 16, backingSize + ", expected 1 to 1023");
            }
            if (backingOffset < 0 || backingOffset > limit - backingSize) {
                throw ImageFormatException.field(file, "backing_file_offset", 8, backingOffset
                        + " + " + backingSize + " bytes lies outside the first cluster (" + limit + " bytes in the file)");
            }
        }
        this.backingFile = backingOffset == 0 ? null : string(b, (int) backingOffset, backingSize);
    }

    private static String string(ByteBuffer b, int offset, int length) {
        byte[] bytes = new byte[length];
        b.get(offset, bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    public int clusterSize() {
        return 1 << clusterBits;
    }

    public int refcountBits() {
        return 1 << refcountOrder;
    }

    public boolean extendedL2() {
        return (incompatibleFeatures & INCOMPAT_EXTL2) != 0;
    }

    /** Incompatible bit 2: guest data lives in an external data file, at the guest offsets. */
    public boolean hasDataFile() {
        return (incompatibleFeatures & INCOMPAT_DATA_FILE) != 0;
    }

    /** Autoclear bit 1 (with bit 2): the external data file is a valid raw image on its own. */
    public boolean dataFileRaw() {
        return hasDataFile() && (autoclearFeatures & AUTOCLEAR_DATA_FILE_RAW) != 0;
    }

    public boolean dirty() {
        return (incompatibleFeatures & INCOMPAT_DIRTY) != 0;
    }

    public boolean corrupt() {
        return (incompatibleFeatures & INCOMPAT_CORRUPT) != 0;
    }

    /** Bytes of header fields we can read before knowing the cluster size. */
    static int fixedLength() {
        return V3_LENGTH;
    }

    /** Reads the cluster size from the first bytes, validating magic, version and cluster_bits. */
    static int clusterBitsOf(ByteBuffer first, String file, long fileSize) {
        if (fileSize < V2_LENGTH || first.limit() < V2_LENGTH) {
            throw ImageFormatException.corrupt(file, "file is %d bytes, shorter than a qcow2 header (%d bytes)"
                    .formatted(fileSize, V2_LENGTH));
        }
        int magic = first.getInt(0);
        if (magic != MAGIC) {
            throw ImageFormatException.field(file, "magic", 0, "0x%08x, expected 0x%08x (\"QFI\\xfb\")".formatted(magic, MAGIC));
        }
        int version = first.getInt(4);
        if (version < 2) {
            throw ImageFormatException.field(file, "version", 4, version + " is too old, expected 2 or 3");
        }
        if (version > 3) {
            throw ImageFormatException.unsupported(file, "header field version (file offset 4): " + version
                    + " is newer than amiforge supports (2 or 3)");
        }
        int bits = first.getInt(20);
        if (bits < MIN_CLUSTER_BITS || bits > MAX_CLUSTER_BITS) {
            throw ImageFormatException.field(file, "cluster_bits", 20,
                    bits + ", expected 9 to 21 (512 B to 2 MiB clusters)");
        }
        if (version >= 3) {
            if (first.limit() < V3_LENGTH) {
                throw ImageFormatException.corrupt(file, "version 3 header needs %d bytes, the file has %d"
                        .formatted(V3_LENGTH, first.limit()));
            }
            int headerLength = first.getInt(100);
            if (headerLength < V3_LENGTH || (headerLength & 7) != 0 || headerLength > (1 << bits)) {
                throw ImageFormatException.field(file, "header_length", 100,
                        headerLength + ", expected a multiple of 8 from 104 to the cluster size " + (1 << bits));
            }
        }
        return bits;
    }

    /**
     * Parses and validates the header in {@code cluster0} (the file's first cluster, or all of a
     * shorter file) of a file of {@code fileSize} bytes.
     */
    static Qcow2Header parse(ByteBuffer cluster0, String file, long fileSize) {
        clusterBitsOf(cluster0, file, fileSize);
        Qcow2Header h = new Qcow2Header(cluster0, file, fileSize);
        h.validate(file, fileSize);
        return h;
    }

    private void validate(String file, long fileSize) {
        long cs = clusterSize();
        if (size < 0) {
            throw ImageFormatException.field(file, "size", 24, Long.toUnsignedString(size) + " bytes is larger than 2^63");
        }
        if (backingFileOffset != 0) {
            if (backingFileSize <= 0 || backingFileSize > 1023) {
                throw ImageFormatException.field(file, "backing_file_size", 16, backingFileSize + ", expected 1 to 1023");
            }
            if (backingFileOffset < 0 || backingFileOffset + backingFileSize > cs
                    || backingFileOffset + backingFileSize > fileSize) {
                throw ImageFormatException.field(file, "backing_file_offset", 8, backingFileOffset
                        + " + " + backingFileSize + " bytes lies outside the first cluster (" + cs + " bytes)");
            }
        }
        if (cryptMethod != 0) {
            throw ImageFormatException.unsupported(file, "header field crypt_method (file offset 32): " + cryptMethod
                    + " (encrypted images are not supported; expected 0)");
        }
        long unknown = incompatibleFeatures & ~INCOMPAT_KNOWN;
        if (unknown != 0) {
            StringBuilder names = new StringBuilder();
            for (int bit = 0; bit < 64; bit++) {
                if ((unknown & (1L << bit)) != 0) {
                    names.append(names.isEmpty() ? "" : ", ").append("bit ").append(bit);
                    String name = featureNames.get(bit);
                    if (name != null) {
                        names.append(" (").append(name).append(')');
                    }
                }
            }
            throw ImageFormatException.unsupported(file, "header field incompatible_features (file offset 72): unknown incompatible features "
                    + names + "; the image cannot be opened safely");
        }
        if (hasDataFile() && nbSnapshots != 0) {
            throw ImageFormatException.unsupported(file, "header field nb_snapshots (file offset 60): internal snapshots in an image"
                    + " with an external data file (incompatible feature bit 2) are not supported");
        }
        if ((incompatibleFeatures & INCOMPAT_COMPRESSION) != 0 || compressionType != 0) {
            if ((incompatibleFeatures & INCOMPAT_COMPRESSION) == 0 || compressionType == 0) {
                throw ImageFormatException.field(file, "compression_type", 104, compressionType
                        + " does not match incompatible feature bit 3 (compression type)");
            }
            if (compressionType != 1) {
                throw ImageFormatException.unsupported(file, "header field compression_type (file offset 104): "
                        + compressionType + " is not supported (only 0 zlib and 1 zstd)");
            }
        }
        if (extendedL2() && clusterBits < 14) {
            throw ImageFormatException.field(file, "cluster_bits", 20, clusterBits
                    + ": extended L2 entries need clusters of at least 16 KiB");
        }
        if (refcountOrder < 0 || refcountOrder > 6) {
            throw ImageFormatException.field(file, "refcount_order", 96, refcountOrder + ", expected 0 to 6");
        }
        // L1 table: big enough for the virtual size, within qemu's limit and inside the file.
        int entryBytes = extendedL2() ? 16 : 8;
        long l2Entries = cs / entryBytes;
        long clusters = size == 0 ? 0 : (size - 1) / cs + 1;
        long neededL1 = clusters == 0 ? 0 : (clusters - 1) / l2Entries + 1;
        if (neededL1 * 8 > MAX_L1_BYTES) {
            throw ImageFormatException.field(file, "size", 24, size + " bytes needs an L1 table of " + neededL1 * 8
                    + " bytes with " + cs + "-byte clusters, more than the limit of " + MAX_L1_BYTES + " bytes");
        }
        long l1 = Integer.toUnsignedLong(l1Size);
        if (l1 * 8 > MAX_L1_BYTES) {
            throw ImageFormatException.field(file, "l1_size", 36, l1 + " entries (" + l1 * 8
                    + " bytes) is more than the limit of " + MAX_L1_BYTES + " bytes");
        }
        if (l1 < neededL1) {
            throw ImageFormatException.field(file, "l1_size", 36, l1 + " entries is too small for the virtual size "
                    + size + " (needs " + neededL1 + ")");
        }
        checkTable(file, "l1_table_offset", 40, l1TableOffset, l1 * 8, fileSize, l1 > 0);
        long reftableBytes = Integer.toUnsignedLong(refcountTableClusters) * cs;
        if (reftableBytes > MAX_REFTABLE_BYTES) {
            throw ImageFormatException.field(file, "refcount_table_clusters", 56, Integer.toUnsignedString(refcountTableClusters)
                    + " clusters (" + reftableBytes + " bytes) is more than the limit of " + MAX_REFTABLE_BYTES + " bytes");
        }
        checkTable(file, "refcount_table_offset", 48, refcountTableOffset, reftableBytes, fileSize, true);
        if (nbSnapshots != 0) {
            checkTable(file, "snapshots_offset", 64, snapshotsOffset, 1, fileSize, true);
        }
    }

    private void checkTable(String file, String field, int fieldOffset, long offset, long bytes, long fileSize, boolean required) {
        if (!required) {
            return;
        }
        if (offset <= 0 || (offset & (clusterSize() - 1)) != 0) {
            throw ImageFormatException.field(file, field, fieldOffset, "0x%x is not a cluster-aligned offset (cluster size %d)"
                    .formatted(offset, clusterSize()));
        }
        if (offset > fileSize - bytes) {
            throw ImageFormatException.field(file, field, fieldOffset, "table at 0x%x (+%d bytes) lies beyond the end of the file (size 0x%x)"
                    .formatted(offset, bytes, fileSize));
        }
    }
}
