/**
 * Partition tables: MBR (with the extended/logical chain on read) and GPT (primary and backup
 * headers, entry arrays, CRC32s, protective MBR), read and write.
 *
 * <p>Entry points: {@link io.amiforge.imagefmt.partition.PartitionTable#read} to read whatever
 * table a disk has, {@link io.amiforge.imagefmt.partition.Mbr#write} and
 * {@link io.amiforge.imagefmt.partition.Gpt#write} to lay one out, and
 * {@link io.amiforge.imagefmt.partition.PartitionTable#open} for a {@code BlockDevice} view of
 * one partition. Problems real tools only warn about (overlaps, a partition past the end of the
 * disk, a damaged primary GPT) are {@link io.amiforge.imagefmt.partition.PartitionTable#warnings()}
 * (the first ten, then a count; checks are O(n log n) however the table is crafted);
 * what makes a table unusable is an {@code AmiforgeException} with code
 * {@code InvalidPartitionTable}.
 */
package io.amiforge.imagefmt.partition;
