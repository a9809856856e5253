/** Throughput and latency of the EC2 and EBS direct endpoint through signed HTTP requests ({@link io.amiforge.bench.api.ApiBench}). */
package io.amiforge.bench.api;
