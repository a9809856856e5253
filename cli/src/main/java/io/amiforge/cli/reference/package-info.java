/**
 * References written from the picocli model, so that they never drift from {@code --help}:
 * {@link io.amiforge.cli.reference.MarkdownReference} ({@code docs/cli.md}),
 * {@link io.amiforge.cli.reference.ManPage} (one man page per command), and the commands that
 * print them, {@link io.amiforge.cli.reference.ManCommand} ({@code amiforge man}) and
 * {@link io.amiforge.cli.reference.CompletionCommand} ({@code amiforge completion}, picocli's
 * bash/zsh script).
 */
package io.amiforge.cli.reference;
