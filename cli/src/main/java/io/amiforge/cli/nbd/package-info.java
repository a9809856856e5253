/**
 * The {@code amiforge nbd} commands: {@link io.amiforge.cli.nbd.NbdServeCommand} serves raw
 * files (and, through {@link io.amiforge.cli.nbd.NbdServeCommand#exportResolver}, store volumes
 * and snapshots) over NBD.
 */
package io.amiforge.cli.nbd;
