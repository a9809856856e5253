/**
 * The EBS direct API (rest-json): {@link io.amiforge.cloud.server.ebs.EbsDirectApi} writes
 * snapshots block by block into the store and reads any snapshot back in 512 KiB blocks.
 */
package io.amiforge.cloud.server.ebs;
