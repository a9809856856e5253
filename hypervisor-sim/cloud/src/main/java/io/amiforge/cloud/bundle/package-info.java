/**
 * EC2 instance-store bundles, byte-compatible with ec2-ami-tools ({@code ec2-bundle-image} /
 * {@code ec2-unbundle}): an image becomes tar → gzip → AES-128-CBC → 10 MiB parts plus a signed
 * {@code PREFIX.manifest.xml} (format version 2007-10-10).
 *
 * <p>Entry points: {@link io.amiforge.cloud.bundle.Bundler} (bundle an image),
 * {@link io.amiforge.cloud.bundle.Unbundler} (verify everything, then restore the image),
 * {@link io.amiforge.cloud.bundle.BundleManifest} (read a manifest: architecture, kernel,
 * block device mapping, parts; verify its signature), {@link io.amiforge.cloud.bundle.BundleParts}
 * (the one way part files are read: regular files beside the manifest, sizes within the bundled
 * size, digests checked before use), {@link io.amiforge.cloud.bundle.PemKeys}
 * (certificates and PKCS#1/PKCS#8 private keys). {@link io.amiforge.cloud.bundle.ParallelGzipOutputStream}
 * is the pigz-style multi-threaded gzip writer the bundler uses.
 */
package io.amiforge.cloud.bundle;
