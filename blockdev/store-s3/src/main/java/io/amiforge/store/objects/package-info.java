/**
 * The object-store contract the S3-backed snapshot store is written against
 * ({@link io.amiforge.store.objects.ObjectStore}), with its value and error types.
 */
package io.amiforge.store.objects;
