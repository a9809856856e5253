/**
 * What every command builds on: {@link io.amiforge.cli.common.CommandBase} (global options,
 * output, JSON), {@link io.amiforge.cli.common.GlobalOptions}, the shared option groups
 * ({@link io.amiforge.cli.common.ImageOptions}), sizes, JSON and output-path rules. It knows no
 * command: the root command implements {@link io.amiforge.cli.common.RootCommand}.
 */
package io.amiforge.cli.common;
