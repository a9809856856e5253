package io.amiforge.cli.common;

/** The root command of the tree: where every command finds the global options. */
public interface RootCommand {

    /** The global options, wherever on the command line they were given. */
    GlobalOptions globalOptions();
}
