/**
 * {@code amiforge ami bundle} and {@code ami unbundle}: ec2-bundle-image compatible bundles from
 * the command line, with progress.
 */
package io.amiforge.cli.ami;
