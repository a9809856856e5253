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
 */
public record CreateOptions(String backingFile, String backingFormat, int clusterSize, String compat, String subformat,
                            String compressionType, boolean compressed, boolean lazyRefcounts) {

    /** The options without a subformat or compression (each format's default variant). */
    public CreateOptions(String backingFile, String backingFormat, int clusterSize, String compat) {
        this(backingFile, backingFormat, clusterSize, compat, null, null, false, false);
    }

    /** 64 KiB clusters, compat 1.1, no backing file: what {@code qemu-img create -f qcow2} does. */
    public static CreateOptions defaults() {
        return new CreateOptions(null, null, 65536, "1.1", null, null, false, false);
    }

    public CreateOptions withBacking(String file, String format) {
        return new CreateOptions(file, format, clusterSize, compat, subformat, compressionType, compressed, lazyRefcounts);
    }

    public CreateOptions withClusterSize(int size) {
        return new CreateOptions(backingFile, backingFormat, size, compat, subformat, compressionType, compressed, lazyRefcounts);
    }

    public CreateOptions withCompat(String level) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, level, subformat, compressionType, compressed, lazyRefcounts);
    }

    public CreateOptions withSubformat(String name) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, name, compressionType, compressed, lazyRefcounts);
    }

    public CreateOptions withCompressionType(String type) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, type, compressed, lazyRefcounts);
    }

    /** These options with conversion storing clusters compressed ({@code qemu-img convert -c}) or not. */
    public CreateOptions withCompressed(boolean on) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, on, lazyRefcounts);
    }

    /** These options with the qcow2 "lazy refcounts" compatible feature set or not. */
    public CreateOptions withLazyRefcounts(boolean on) {
        return new CreateOptions(backingFile, backingFormat, clusterSize, compat, subformat, compressionType, compressed, on);
    }
}
