package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.amiforge.cli.common.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the CLI in-process and captures exit code, stdout and stderr. */
public final class CliRunner {

    /** What one command line did. */
    public record Run(int exitCode, String out, String err) {
    }

    private CliRunner() {
    }

    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Runs {@code args} against the store in {@code store} ({@code --store} added). */
    public static Run inStore(Path store, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--store", store.toString()));
        return run(all.toArray(String[]::new));
    }

    /** Runs {@code args} with {@code --json} against {@code store}; asserts exit 0 and returns the printed document. */
    public static JsonNode json(Path store, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--json");
        Run run = inStore(store, all.toArray(String[]::new));
        assertThat(run.exitCode()).as(String.join(" ", args) + ": " + run.err()).isZero();
        return Json.MAPPER.readTree(run.out());
    }
}
