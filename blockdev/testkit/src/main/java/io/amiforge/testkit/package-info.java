/**
 * Test support shared by every module: the {@code BlockDevice} contract test that every
 * implementation runs, {@code Interop} (outside tools and fixtures, including the downloads pinned
 * in {@code dev/fixtures.properties}: skip with a message, or fail under
 * {@code AMIFORGE_REQUIRE_INTEROP=1}), and {@code Processes} (outside tools and child JVMs with
 * concurrent output draining and a deadline that kills the process tree), and {@code FaultInjection}
 * (fail the Nth file create, write, fsync or rename, like QEMU's blkdebug), and {@code CephGateway}
 * (a throw-away single-node Ceph with the S3 gateway, from {@code ../shared/ceph-rgw}).
 */
package io.amiforge.testkit;
