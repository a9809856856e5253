package io.amiforge.imagefmt.format;

/**
 * How to create an image. Every field has a sensible default ({@link #defaults()}); formats
 * ignore what they do not support (raw ignores all of them and refuses a backing file).
 *
 * @param backingFile   the backing file name exactly as stored in the image (relative names
 *                      are resolved against the new image's directory), or null
 * @param backingFormat the backing file's format name ("qcow2", "raw"), or null to probe it
 * @param clusterSize   qcow2 cluster size in bytes, a power of two from 512 to 2 MiB
 * @param compat        qcow2 compatibility level: "1.1" (version 3) or "0.10" (version 2)
 * @param subformat     the variant of the format, as qemu-img's {@code -o subformat=} names it
 *                      (vpc: "dynamic" or "fixed"; vmdk: "monolithicSparse", "streamOptimized"),
 *                      or null for the format's default
 * @param compressionType qcow2 compression type of compressed clusters: "zlib" (default, also
 *                      for null) or "zstd" (needs compat 1.1)
 * @param compressed    conversion stores every data cluster compressed, as {@code qemu-img
 *                      convert -c} does (only formats with compressed clusters: qcow2)
 * @param lazyRefcounts qcow2 compatible feature "lazy refcounts" set in the new image (needs
 *                      compat 1.1); amiforge itself always writes refcounts, qemu then may defer them
 * @param extendedL2    qcow2 extended L2 entries: 32 subclusters per cluster, each allocated on
 *                      its own (needs compat 1.1 and clusters of at least 16 KiB)
 * @param preallocation "off" (default, also for null), "metadata" (L2 tables and cluster
 *                      mappings for the whole disk), "falloc" or "full" (also the data clusters'
 *                      blocks, written as zeros)
 * @param refcountBits  qcow2 refcount width: a power of two from 1 to 64 (default 16; compat
 *                      0.10 allows only 16)
 * @param dataFile      qcow2 external data file: guest data lives in this raw file, named in
 *                      the image's data file extension exactly as given (needs compat 1.1), or null
 * @param dataFileRaw   with {@code dataFile}: the data file is kept a valid raw image on its own
 *                      (guest offset = data file offset), the "raw external data" bit
 */
public record CreateOptions(String backingFile, String backingFormat, int clusterSize, String compat, String subformat,
                            String compressionType, boolean compressed, boolean lazyRefcounts, boolean extendedL2,
                            String preallocation, int refcountBits, String dataFile, boolean dataFileRaw) {

    /** The options of the first eight fields, with qcow2's defaults for the rest. */
    public CreateOptions(String backingFile, String backingFormat, int clusterSize, String compat, String subformat,
                         String compressionType, boolean compressed, boolean lazyRefcounts) {
        this(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, compressed, lazyRefcounts,
                false, null, 16, null, false);
    }

    /** The options without a subformat or compression (each format's default variant). */
    public CreateOptions(String backingFile, String backingFormat, int clusterSize, String compat) {
        this(backingFile, backingFormat, clusterSize, compat, null, null, false, false);
    }

    /** 64 KiB clusters, compat 1.1, no backing file: what {@code qemu-img create -f qcow2} does. */
    public static CreateOptions defaults() {
        return new CreateOptions(null, null, 65536, "1.1", null, null, false, false, false, null, 16, null, false);
    }

    public CreateOptions withBacking(String file, String format) {
        return new CreateOptions(file, format, clusterSize, compat, subformat, compressionType, compressed, lazyRefcounts,
                extendedL2, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    public CreateOptions withClusterSize(int size) {
        return new CreateOptions(backingFile, backingFormat, size, compat, subformat, compressionType, compressed, lazyRefcounts,
                extendedL2, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    public CreateOptions withCompat(String level) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, level, subformat, compressionType, compressed, lazyRefcounts,
                extendedL2, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    public CreateOptions withSubformat(String name) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, name, compressionType, compressed, lazyRefcounts,
                extendedL2, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    public CreateOptions withCompressionType(String type) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, type, compressed, lazyRefcounts,
                extendedL2, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    /** These options with conversion storing clusters compressed ({@code qemu-img convert -c}) or not. */
    public CreateOptions withCompressed(boolean on) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, on, lazyRefcounts,
                extendedL2, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    /** These options with the qcow2 "lazy refcounts" compatible feature set or not. */
    public CreateOptions withLazyRefcounts(boolean on) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, compressed, on,
                extendedL2, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    /** These options with qcow2 extended L2 entries (subclusters) or not. */
    public CreateOptions withExtendedL2(boolean on) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, compressed, lazyRefcounts,
                on, preallocation, refcountBits, dataFile, dataFileRaw);
    }

    /** These options with the preallocation mode {@code mode} ("off", "metadata", "falloc", "full"). */
    public CreateOptions withPreallocation(String mode) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, compressed, lazyRefcounts,
                extendedL2, mode, refcountBits, dataFile, dataFileRaw);
    }

    /** These options with {@code bits}-bit refcounts. */
    public CreateOptions withRefcountBits(int bits) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, compressed, lazyRefcounts,
                extendedL2, preallocation, bits, dataFile, dataFileRaw);
    }

    /** These options with the external data file {@code file} (null: none), kept raw or not. */
    public CreateOptions withDataFile(String file, boolean raw) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, compressed, lazyRefcounts,
                extendedL2, preallocation, refcountBits, file, raw);
    }
}
