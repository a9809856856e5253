/**
 * Embedding amiforge: {@link io.amiforge.examples.embedding.EmbeddingExample} builds a bootable
 * image, imports it into a snapshot store, snapshots the volume and boots the snapshot.
 */
package io.amiforge.examples.embedding;
