package io.amiforge.boot.hvm;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.testkit.Interop;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The committed boot-code resources are exactly what nasm makes of the sources beside them. */
@Tag("interop")
class AssembledBytesTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"mbr", "loader", "tinykernel"})
    void committedBytesMatchTheSource(String name) throws Exception {
        Path nasm = Interop.tool("nasm");
        Path src = Path.of(System.getProperty("amiforge.root", ".."), "hypervisor-sim/boot/src/main/asm", name + ".asm");
        Interop.file(src, "assembly source");
        byte[] fresh = Nasm.assembleFile(nasm, src, tmp.resolve(name + ".bin"));
        byte[] committed = TinyKernel.resource(name + ".bin");
        assertThat(committed).as(name + ".bin vs nasm " + src).isEqualTo(fresh);
    }
}
