package io.amiforge.bench.qcow2;

import io.amiforge.imagefmt.format.CreateOptions;
import io.amiforge.imagefmt.format.ImageConverter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

/**
 * The shared workload: a raw file of {@code size} bytes, three quarters random data in 1 MiB
 * runs and one quarter holes, converted to qcow2 (64 KiB clusters) by qemu-img when it is
 * installed (else by amiforge). Deterministic (fixed seed).
 */
final class Qcow2Workload {

    final Path dir;
    final Path raw;
    final Path qcow2;
    final long size;

    Qcow2Workload(Path dir, long size) throws IOException, InterruptedException {
        this.dir = dir;
        this.size = size;
        this.raw = dir.resolve("workload.raw");
        this.qcow2 = dir.resolve("workload.qcow2");
        if (!Files.exists(qcow2) || Files.size(raw) != size) {
            Random random = new Random(2026);
            byte[] chunk = new byte[1 << 20];
            try (FileChannel channel = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                for (long pos = 0; pos < size; pos += chunk.length) {
                    if (random.nextInt(4) != 0) {
                        random.nextBytes(chunk);
                        channel.write(ByteBuffer.wrap(chunk), pos);
                    }
                }
                channel.truncate(size);
                if (channel.size() < size) {
                    channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
                }
            }
            if (qemuImg() != null) {
                run(List.of(qemuImg(), "convert", "-O", "qcow2", raw.toString(), qcow2.toString()));
            } else {
                ImageConverter.convert(raw, qcow2, "qcow2", CreateOptions.defaults());
            }
        }
    }

    static String qemuImg() {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin").split(":")) {
            Path candidate = Path.of(dir, "qemu-img");
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return null;
    }

    /** Runs a command, returns its output; fails on a non-zero exit. */
    static String run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("command failed: " + command + "\n" + out);
        }
        return out;
    }
}
