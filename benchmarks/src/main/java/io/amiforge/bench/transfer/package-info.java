/**
 * Same-run comparison of image import and export (snapshot store) with {@code qemu-img convert}.
 */
package io.amiforge.bench.transfer;
