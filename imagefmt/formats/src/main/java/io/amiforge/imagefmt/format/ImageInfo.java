package io.amiforge.imagefmt.format;

import java.util.List;
import java.util.Map;

/**
 * What {@code qemu-img info} says about one image file.
 *
 * @param file           the file, as given or as resolved from a backing file name
 * @param format         the format name ("raw", "qcow2")
 * @param virtualSize    guest-visible size in bytes
 * @param actualSize     bytes the file occupies on disk (holes not counted), or its length
 *                       where the filesystem cannot say
 * @param clusterSize    allocation unit in bytes (0 for raw)
 * @param backingFile    the backing file name as stored in the image, or null
 * @param backingFormat  the backing format recorded in the image, or null
 * @param backingChain   for the top image returned by {@link ImageFormats#info}: every image
 *                       of the chain, this one first, down to the base; empty for the
 *                       entries inside that list
 * @param dirty          the image says its metadata may be inconsistent (qcow2 dirty bit)
 * @param corrupt        the image is marked corrupt (qcow2 corrupt bit): read-only
 * @param formatSpecific format-specific details (qcow2: compat, refcountBits, ...)
 */
public record ImageInfo(String file, String format, long virtualSize, long actualSize, int clusterSize,
                        String backingFile, String backingFormat, List<ImageInfo> backingChain,
                        boolean dirty, boolean corrupt, Map<String, Object> formatSpecific) {

    public ImageInfo {
        backingChain = List.copyOf(backingChain);
        formatSpecific = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(formatSpecific));
    }

    /** This info with {@code chain} as its backing chain. */
    public ImageInfo withBackingChain(List<ImageInfo> chain) {
        return new ImageInfo(file, format, virtualSize, actualSize, clusterSize, backingFile, backingFormat,
                chain, dirty, corrupt, formatSpecific);
    }
}
