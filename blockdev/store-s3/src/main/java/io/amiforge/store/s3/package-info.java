/**
 * The {@link io.amiforge.store.objects.ObjectStore} contract on Amazon S3 and S3-compatible
 * gateways (Ceph RGW, MinIO), through the AWS SDK for Java v2's async client on Netty.
 *
 * <p>Entry points: {@link io.amiforge.store.s3.S3Location#parse} for {@code s3://bucket/prefix},
 * {@link io.amiforge.store.s3.S3Config} (endpoint, region, keys, part sizes, parallelism,
 * retries, timeouts; {@link io.amiforge.store.s3.S3Config#fromEnvironment} reads the usual AWS
 * variables) and {@link io.amiforge.store.s3.S3ObjectStore}.
 */
package io.amiforge.store.s3;
