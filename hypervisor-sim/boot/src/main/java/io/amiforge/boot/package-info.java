/**
 * What a boot did: {@link io.amiforge.boot.BootReport}, the one result type of the HVM and PV
 * boot paths.
 */
package io.amiforge.boot;
