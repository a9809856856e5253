package io.amiforge.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs an outside tool in tests, with a time limit, and returns its exit code and output. */
public final class Processes {

    private Processes() {
    }

    /** The result of one run: exit code, and stdout+stderr merged. */
    public record Result(int exitCode, String output) {
        public Result orFail() {
            if (exitCode != 0) {
                throw new AssertionError("command failed with exit " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    public static Result run(List<String> command) {
        return run(null, command);
    }

    public static Result run(Path workDir, List<String> command) {
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            Process process = builder.start();
            process.getOutputStream().close();
            byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new AssertionError("command timed out: " + command);
            }
            return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + command, e);
        }
    }
}
