package io.amiforge.cli.common;

/**
 * Marks a command that describes the whole command tree (completion scripts, man pages, the
 * reference): the launcher builds every command for it, not only the branch the line names.
 */
public interface WholeTree {
}
