/**
 * The {@code amiforge nbd} commands: {@link io.amiforge.cli.nbd.NbdServeCommand} serves raw
 * files and the region's store volumes and snapshots over NBD.
 */
package io.amiforge.cli.nbd;
