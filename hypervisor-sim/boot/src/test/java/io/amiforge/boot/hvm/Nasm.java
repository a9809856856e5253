package io.amiforge.boot.hvm;

import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Assembles NASM source in a temp directory (skips/fails through {@link Interop} without nasm). */
final class Nasm {

    private Nasm() {
    }

    static byte[] assemble(Path dir, String name, String source) throws IOException, InterruptedException {
        Path nasm = Interop.tool("nasm");
        Path src = dir.resolve(name + ".asm");
        Path out = dir.resolve(name + ".bin");
        Files.writeString(src, source, StandardCharsets.UTF_8);
        return assembleFile(nasm, src, out);
    }

    static byte[] assembleFile(Path nasm, Path src, Path out) throws IOException, InterruptedException {
        Processes.run(List.of(nasm.toString(), "-f", "bin", "-o", out.toString(), src.toString())).orFail();
        return Files.readAllBytes(out);
    }
}
