package io.amiforge.cli.common;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of every leaf command: gives access to the global options (wherever on the line they
 * were given), stdout, and JSON-or-text printing. Subclasses implement {@link #execute()} and
 * return an exit code; failures are thrown as {@code AmiforgeException}s.
 */
public abstract class CommandBase implements Callable<Integer> {

    @Spec
    protected CommandSpec spec;

    protected final GlobalOptions global() {
        return ((RootCommand) spec.root().userObject()).globalOptions();
    }

    protected final PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected final PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Prints {@code jsonValue} as JSON when --json was given, else {@code text} (if not null). */
    protected final void print(Object jsonValue, String text) {
        if (global().json()) {
            out().println(Json.write(jsonValue));
        } else if (text != null) {
            out().print(text.endsWith("\n") ? text : text + "\n");
        }
        out().flush();
    }

    @Override
    public final Integer call() throws Exception {
        return execute();
    }

    protected abstract int execute() throws Exception;
}
