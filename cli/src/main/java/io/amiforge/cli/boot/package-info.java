/** {@code amiforge boot}: simulated HVM (MBR) and PV boots of a disk image. */
package io.amiforge.cli.boot;
