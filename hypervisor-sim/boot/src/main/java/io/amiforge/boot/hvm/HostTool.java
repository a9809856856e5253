package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a boot-loader tool of the host (grub-mkimage, mkfs.fat, syslinux, mcopy) with a
 * deadline; a missing tool or a failed run is an {@link AmiforgeException} naming the tool, the
 * Debian package that provides it and the tool's own output.
 */
final class HostTool {

    private static final long DEADLINE_SECONDS = 120;

    private HostTool() {
    }

    /** Runs {@code tool} (looked up on PATH and in /usr/sbin, /sbin) with {@code args}. */
    static void run(String tool, String debianPackage, List<String> args) {
        Path exe = find(tool).orElseThrow(() -> new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderToolMissing",
                tool + " not found on PATH: install the Debian package " + debianPackage + " to build this boot loader"));
        List<String> command = new ArrayList<>();
        command.add(exe.toString());
        command.addAll(args);
        try {
            Path log = Files.createTempFile("amiforge-" + tool, ".log");
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                p.getOutputStream().close();
                if (!p.waitFor(DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw failed(tool, "did not finish within " + DEADLINE_SECONDS + " s", command);
                }
                if (p.exitValue() != 0) {
                    String out = Files.readString(log, StandardCharsets.UTF_8).strip();
                    throw failed(tool, "exited with " + p.exitValue() + (out.isEmpty() ? "" : ": " + out), command);
                }
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw failed(tool, "could not run: " + e.getMessage(), command);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(tool, "interrupted", command);
        }
    }

    static java.util.Optional<Path> find(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return java.util.Optional.of(Path.of(d, tool));
            }
        }
        return java.util.Optional.empty();
    }

    private static AmiforgeException failed(String tool, String what, List<String> command) {
        return new AmiforgeException(AmiforgeException.Kind.FAILED, "BootLoaderToolFailed", tool + " " + what
                + " (command: " + String.join(" ", command) + ")");
    }

    /** Deletes {@code dir} and everything under it (null: nothing); what cannot be deleted in the temporary directory is left. */
    static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a scratch directory left behind in java.io.tmpdir is harmless; the caller's own result or error stands
        }
    }
}
