/**
 * Bundle throughput: {@link io.amiforge.bench.bundle.BundleThroughput} times amiforge's
 * {@code Bundler} against the shell pipeline {@code tar | pigz -p2 -6 | openssl enc -aes-128-cbc
 * | tee >(sha1sum) | split -b 10M} (and the same with {@code gzip -6}) on the same image in the
 * same run, and prints MiB/s and ratios. Run it with {@code benchmarks/compare-bundle.sh}.
 */
package io.amiforge.bench.bundle;
