package io.amiforge.testkit;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs an outside tool (or a child JVM) from a test, so that it can neither hang nor deadlock
 * the build: stdout and stderr are drained concurrently (a tool that writes megabytes to one
 * stream while we wait on the other cannot block), and after a deadline the process and every
 * descendant are killed and the test fails with the tool's name, the deadline and the tail of
 * its output.
 *
 * <p>The deadline is {@link #defaultDeadline()} unless a {@link Command} sets its own: 120
 * seconds, overridden by the system property {@code amiforge.tool.deadline} or the environment
 * variable {@code AMIFORGE_TOOL_DEADLINE} (seconds).
 */
public final class Processes {

    /** Bytes of output shown when a run fails. */
    static final int TAIL_BYTES = 4000;

    private Processes() {
    }

    /** The deadline of a run that does not set one; see the class comment. */
    public static Duration defaultDeadline() {
        String value = System.getProperty("amiforge.tool.deadline", System.getenv("AMIFORGE_TOOL_DEADLINE"));
        if (value == null || value.isBlank()) {
            return Duration.ofSeconds(120);
        }
        try {
            return Duration.ofSeconds(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("amiforge.tool.deadline / AMIFORGE_TOOL_DEADLINE is not a number of seconds: '"
                    + value + "'", e);
        }
    }

    /** Runs {@code command} to completion within the default deadline. */
    public static Result run(List<String> command) {
        return command(command).run();
    }

    /** Runs {@code command} in {@code workDir} (null: the current directory) within the default deadline. */
    public static Result run(Path workDir, List<String> command) {
        return command(command).in(workDir).run();
    }

    /** A command to configure, then {@link Command#run() run} or {@link Command#start() start}. */
    public static Command command(List<String> command) {
        return new Command(command);
    }

    /** A command to configure, then {@link Command#run() run} or {@link Command#start() start}. */
    public static Command command(String... command) {
        return new Command(List.of(command));
    }

    /** The tool's name as shown in failures: the last path element of the executable. */
    static String toolName(List<String> command) {
        String first = command.getFirst();
        int slash = first.lastIndexOf('/');
        return slash < 0 ? first : first.substring(slash + 1);
    }

    /** One command line with its working directory, standard input and deadline. */
    public static final class Command {
        private final List<String> command;
        private Path workDir;
        private Path input;
        private Duration deadline = defaultDeadline();

        private Command(List<String> command) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("empty command");
            }
            this.command = List.copyOf(command);
        }

        /** Runs in {@code dir} (null: the current directory). */
        public Command in(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** Feeds {@code file} to standard input (otherwise standard input is empty). */
        public Command input(Path file) {
            this.input = file;
            return this;
        }

        /** Kills the process tree and fails the test when it runs longer than {@code deadline}. */
        public Command deadline(Duration deadline) {
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException("deadline must be positive: " + deadline);
            }
            this.deadline = deadline;
            return this;
        }

        private Process launch() {
            ProcessBuilder builder = new ProcessBuilder(command);
            if (workDir != null) {
                builder.directory(workDir.toFile());
            }
            if (input != null) {
                builder.redirectInput(input.toFile());
            }
            try {
                Process process = builder.start();
                if (input == null) {
                    process.getOutputStream().close();
                }
                return process;
            } catch (IOException e) {
                throw new AssertionError("cannot run " + toolName(command) + " (" + String.join(" ", command) + "): "
                        + e.getMessage(), e);
            }
        }

        /**
         * Runs to completion and returns the exit code and both streams. Fails (after killing the
         * process tree) when the deadline passes.
         */
        public Result run() {
            Process process = launch();
            ByteArrayOutputStream merged = new ByteArrayOutputStream();
            Drain out = Drain.start(process.getInputStream(), merged, toolName(command) + " stdout");
            Drain err = Drain.start(process.getErrorStream(), merged, toolName(command) + " stderr");
            boolean finished;
            try {
                finished = process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                killTree(process.toHandle());
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while running " + toolName(command), e);
            }
            if (!finished) {
                killTree(process.toHandle());
                out.await();
                err.await();
                throw new AssertionError(timeoutMessage(command, deadline, out.snapshot(), err.snapshot()));
            }
            out.await();
            err.await();
            String output;
            synchronized (merged) {
                output = merged.toString(StandardCharsets.UTF_8);
            }
            return new Result(toolName(command), process.exitValue(), out.snapshot(), err.snapshot(), output);
        }

        /**
         * Starts the process for a test that talks to it while it runs (a child JVM to kill, a
         * lock holder): stdout is read line by line with {@link Child#readLine()}, stderr is
         * drained in the background, and a watchdog kills the tree once the deadline passes.
         */
        public Child start() {
            return new Child(command, launch(), deadline);
        }
    }

    /**
     * The result of one run.
     *
     * @param tool the tool's name
     * @param exitCode its exit code
     * @param stdout everything it wrote to standard output
     * @param stderr everything it wrote to standard error
     * @param output both streams as text, interleaved in the order their chunks arrived (as a
     *     terminal would show them)
     */
    public record Result(String tool, int exitCode, byte[] stdout, byte[] stderr, String output) {

        /** Standard output as text. */
        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** This result, or an AssertionError naming the tool, its exit code and its output, unless it exited 0. */
        public Result orFail() {
            if (exitCode != 0) {
                throw new AssertionError(tool + " failed with exit " + exitCode + ":\n" + output());
            }
            return this;
        }
    }

    /** A running process started with {@link Command#start()}; closing it kills the tree. */
    public static final class Child implements AutoCloseable {
        private final List<String> command;
        private final Process process;
        private final Duration deadline;
        private final BufferedReader stdout;
        private final Drain stderr;
        private final Thread watchdog;
        private volatile boolean timedOut;

        private Child(List<String> command, Process process, Duration deadline) {
            this.command = command;
            this.process = process;
            this.deadline = deadline;
            this.stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.stderr = Drain.start(process.getErrorStream(), new ByteArrayOutputStream(), toolName(command) + " stderr");
            this.watchdog = Thread.ofPlatform().daemon().name(toolName(command) + " watchdog").start(() -> {
                try {
                    if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
                        timedOut = true;
                        killTree(process.toHandle());
                    }
                } catch (InterruptedException e) {
                    // closed before the deadline
                }
            });
        }

        /** The process id. */
        public long pid() {
            return process.pid();
        }

        /** True while the process runs (false once it exited by itself or was killed). */
        public boolean isAlive() {
            return process.isAlive();
        }

        /** The next line of standard output, or null at its end; fails if the deadline killed the process. */
        public String readLine() {
            String line;
            try {
                line = stdout.readLine();
            } catch (IOException e) {
                line = null;
            }
            if (line == null && timedOut) {
                throw new AssertionError(timeoutMessage(command, deadline, new byte[0], stderr.snapshot()));
            }
            return line;
        }

        /**
         * SIGKILLs the process and its descendants now, keeping our end of stdout open so the
         * lines it wrote before dying can still be read; waits for it to die.
         */
        public void kill() {
            killTree(process.toHandle());
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * Asks the process to stop (SIGTERM) and waits up to {@code timeout} for it to exit;
         * returns its exit code, or -1 if it is still running then.
         */
        public int terminate(Duration timeout) {
            process.destroy();
            try {
                return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }

        /** The tail of what the process wrote to standard error so far. */
        public String stderrTail() {
            return tail(stderr.snapshot());
        }

        @Override
        public void close() {
            kill();
            watchdog.interrupt();
            stderr.await();
            try {
                stdout.close();
            } catch (IOException e) {
                // nothing left to read
            }
        }
    }

    /** Kills {@code handle} and every descendant (collected first: orphans would be re-parented away). */
    static void killTree(ProcessHandle handle) {
        List<ProcessHandle> tree = new ArrayList<>(handle.descendants().toList());
        tree.addFirst(handle);
        for (ProcessHandle p : tree) {
            p.destroyForcibly();
        }
    }

    static String timeoutMessage(List<String> command, Duration deadline, byte[] stdout, byte[] stderr) {
        return toolName(command) + " did not finish within its deadline of " + deadline.toSeconds() + " s and was killed"
                + " (raise it with -Damiforge.tool.deadline=SECONDS or AMIFORGE_TOOL_DEADLINE)\ncommand: "
                + String.join(" ", command) + "\nstdout tail:\n" + tail(stdout) + "\nstderr tail:\n" + tail(stderr);
    }

    static String tail(byte[] bytes) {
        int from = Math.max(0, bytes.length - TAIL_BYTES);
        return (from > 0 ? "[... " + from + " bytes before]\n" : "") + new String(bytes, from, bytes.length - from,
                StandardCharsets.UTF_8);
    }

    /**
     * Copies one stream into memory on its own thread, so the other stream never waits for it;
     * each chunk also goes to {@code merged}, shared with the other stream's drain.
     */
    private static final class Drain {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final Thread thread;

        private Drain(InputStream in, ByteArrayOutputStream merged, String name) {
            this.thread = Thread.ofPlatform().daemon().name(name).start(() -> {
                byte[] chunk = new byte[65536];
                try (in) {
                    for (int n; (n = in.read(chunk)) >= 0; ) {
                        synchronized (buffer) {
                            buffer.write(chunk, 0, n);
                        }
                        synchronized (merged) {
                            merged.write(chunk, 0, n);
                        }
                    }
                } catch (IOException e) {
                    // the process died and its pipe was closed: keep what was read
                }
            });
        }

        static Drain start(InputStream in, ByteArrayOutputStream merged, String name) {
            return new Drain(in, merged, name);
        }

        /** Waits until the stream ends (bounded: a killed tree closes its pipes at once). */
        void await() {
            try {
                thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        byte[] snapshot() {
            synchronized (buffer) {
                return buffer.toByteArray();
            }
        }
    }
}
