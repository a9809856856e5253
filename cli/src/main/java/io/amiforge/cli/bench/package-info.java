/** {@code amiforge bench ...}: the research bench (sweep over store strategies and depths) and its charts. */
package io.amiforge.cli.bench;
