/**
 * The {@code amiforge} command: the picocli command tree, global options, the one-line error
 * contract and its exit codes (the only place that knows them), JSON output.
 */
package io.amiforge.cli;
