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

    /** Whether this command prints JSON: --json was given (commands with {@code --output} add theirs). */
    protected boolean json() {
        return global().json();
    }

    /** Prints {@code jsonValue} as JSON when {@link #json()}, else {@code text} (if not null). */
    protected final void print(Object jsonValue, String text) {
        if (json()) {
            out().println(Json.write(jsonValue));
        } else if (text != null) {
            out().print(text.endsWith("\n") ? text : text + "\n");
        }
        out().flush();
    }

    /**
     * A progress reporter for {@code task} over {@code totalBytes} (see {@link Progress.Mode#of}):
     * {@code requested} when the user gave {@code -p}, {@code byDefault} when this command shows
     * a bar on a terminal without being asked.
     */
    protected final Progress progress(String task, long totalBytes, boolean requested, boolean byDefault) {
        Progress.Mode mode = Progress.Mode.of(requested, byDefault, json(), Terminal.stderr());
        return Progress.start(mode, task, totalBytes, err());
    }

    @Override
    public final Integer call() throws Exception {
        return execute();
    }

    protected abstract int execute() throws Exception;
}
