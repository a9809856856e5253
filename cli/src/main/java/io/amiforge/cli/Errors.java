package io.amiforge.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.Json;
import io.amiforge.cli.common.Shutdown;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * Turns a failure into the contract's one-line message ({@code amiforge: <Code>: <message>} on
 * stderr, or {@code {"error":{...}}} on stdout with --json) and its exit code. An exception
 * that is not an {@link AmiforgeException} is a bug: it is reported with its stack trace.
 */
final class Errors {

    private Errors() {
    }

    static boolean jsonRequested(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--json") || arg.equalsIgnoreCase("--output=json")
                    || arg.equals("--output") && i + 1 < args.length && args[i + 1].equalsIgnoreCase("json")) {
                return true;
            }
            if (arg.equals("--")) {
                return false;
            }
        }
        return false;
    }

    /** The command-line contract's exit code for a kind of failure (README, "Exit codes"). */
    static int exitCode(AmiforgeException.Kind kind) {
        return switch (kind) {
            case FAILED -> 1;
            case USAGE -> 2;
            case INVALID_INPUT -> 3;
            case NOT_FOUND -> 4;
            case NOT_PERMITTED -> 5;
        };
    }

    static int report(Exception e, boolean json, PrintWriter out, PrintWriter err) {
        Throwable t = e;
        if (t instanceof UncheckedIOException u) {
            t = u.getCause();
        }
        String code;
        String message;
        int exit;
        switch (t) {
            case AmiforgeException a -> {
                code = a.code();
                message = a.getMessage();
                exit = exitCode(a.kind());
            }
            case NoSuchFileException n -> {
                code = "FileNotFound";
                message = n.getFile() + ": no such file or directory";
                exit = exitCode(AmiforgeException.Kind.NOT_FOUND);
            }
            case AccessDeniedException d -> {
                code = "AccessDenied";
                message = d.getFile() + ": permission denied";
                exit = exitCode(AmiforgeException.Kind.NOT_PERMITTED);
            }
            case IOException io -> {
                code = "IOError";
                message = io.toString();
                exit = exitCode(AmiforgeException.Kind.FAILED);
            }
            default -> {
                code = "InternalError";
                message = "unexpected " + t + " (this is a bug in amiforge; the stack trace follows)";
                exit = 70;
                t.printStackTrace(err);
            }
        }
        if (json) {
            printJson(out, code, message);
        }
        err.println("amiforge: " + code + ": " + message);
        err.flush();
        return exit;
    }

    /**
     * Reports an {@link Error} a command died of (an OutOfMemoryError, say) in one line, without
     * a stack trace, and returns the exit code of an internal error. The stores are unchanged by
     * anything half done: their commits are atomic.
     */
    static int fatal(Error e, boolean json, PrintWriter out, PrintWriter err) {
        String message = "fatal " + e + "; the command is stopped (nothing half-committed is kept)";
        if (json) {
            printJson(out, "InternalError", message);
        }
        err.println("amiforge: InternalError: " + message);
        err.flush();
        return Shutdown.FATAL_EXIT;
    }

    static void printJson(PrintWriter out, String code, String message) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", code);
        error.put("message", message);
        out.println(Json.write(root));
        out.flush();
    }
}
