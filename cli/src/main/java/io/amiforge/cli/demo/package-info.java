/** {@code amiforge demo}: the end-to-end walk-through of the whole AMI story on a fresh store. */
package io.amiforge.cli.demo;
