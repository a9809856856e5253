package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.classfile.ClassFile;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@link ClassFileUpgrade} on the real picocli jar: every class comes out as version 52 and passes
 * the JVM's verifier (the split verifier, which needs the generated stack maps), and the rewritten
 * picocli still parses and runs a command; bad input is refused with the entry named.
 */
class ClassFileUpgradeTest {

    @TempDir
    Path dir;

    private static Path picocliJar() throws Exception {
        return Path.of(CommandLine.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void rewritesEveryPicocliClassAsVersion52ThatTheVerifierAccepts() throws Exception {
        Path out = dir.resolve("picocli8.jar");
        int count = ClassFileUpgrade.upgrade(picocliJar(), "picocli/", out);

        List<String> names = new ArrayList<>();
        try (JarFile jar = new JarFile(out.toFile())) {
            for (JarEntry entry : Collections.list(jar.entries())) {
                try (InputStream in = jar.getInputStream(entry)) {
                    assertThat(ClassFile.of().parse(in.readAllBytes()).majorVersion()).as(entry.getName()).isEqualTo(52);
                }
                names.add(entry.getName().replace('/', '.').replace(".class", ""));
            }
        }
        assertThat(count).isEqualTo(names.size()).isGreaterThan(100);
        assertThat(names).contains("picocli.CommandLine", "picocli.CommandLine$Interpreter");

        // a fresh loader that sees only the rewritten classes: initialising a class links and verifies it
        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            for (String name : names) {
                Class<?> c = Class.forName(name, true, loader);
                assertThat(c.getClassLoader()).as(name).isSameAs(loader);
            }
        }
    }

    @Test
    void theRewrittenPicocliStillRunsACommand() throws Exception {
        Path out = dir.resolve("picocli8.jar");
        ClassFileUpgrade.upgrade(picocliJar(), "picocli/", out);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, ClassLoader.getPlatformClassLoader())) {
            Class<?> commandLine = Class.forName("picocli.CommandLine", true, loader);
            Class<?> spec = Class.forName("picocli.CommandLine$Model$CommandSpec", true, loader);
            Object root = spec.getMethod("create").invoke(null);
            Class<?> option = Class.forName("picocli.CommandLine$Model$OptionSpec", true, loader);
            Object builder = option.getMethod("builder", String.class, String[].class).invoke(null, "--size", new String[0]);
            Method type = builder.getClass().getMethod("type", Class.class);
            type.setAccessible(true); // declared by a package-private superclass
            type.invoke(builder, int.class);
            spec.getMethod("addOption", option).invoke(root, builder.getClass().getMethod("build").invoke(builder));
            Object cli = commandLine.getConstructor(Object.class).newInstance(root);
            Method parseArgs = commandLine.getMethod("parseArgs", String[].class);
            Object parsed = parseArgs.invoke(cli, (Object) new String[] {"--size", "42"});
            Object value = parsed.getClass().getMethod("matchedOptionValue", String.class, Object.class).invoke(parsed, "--size", 0);
            assertThat(value).isEqualTo(42);

            StringWriter usage = new StringWriter();
            commandLine.getMethod("usage", PrintWriter.class).invoke(cli, new PrintWriter(usage, true));
            assertThat(usage.toString()).contains("Usage: <main class> [--size=PARAM]");
        }
    }

    @Test
    void noMatchingClassIsAnErrorAndLeavesNoOutput() throws Exception {
        Path out = dir.resolve("none.jar");
        assertThatThrownBy(() -> ClassFileUpgrade.upgrade(picocliJar(), "no/such/package/", out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no class under no/such/package/");
        assertThat(out).doesNotExist();
        assertThat(dir.resolve("none.jar.tmp")).doesNotExist();
    }

    @Test
    void aDamagedClassIsNamed() throws IOException {
        Path bad = dir.resolve("bad.jar");
        try (OutputStream file = Files.newOutputStream(bad); JarOutputStream jar = new JarOutputStream(file)) {
            jar.putNextEntry(new JarEntry("demo/Broken.class"));
            jar.write(new byte[] {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 49, 0});
            jar.closeEntry();
        }
        Path out = dir.resolve("out.jar");
        assertThatThrownBy(() -> ClassFileUpgrade.upgrade(bad, "demo/", out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("demo/Broken.class");
        assertThat(out).doesNotExist();
    }

    @Test
    void aMissingJarIsAnIoError() {
        Path missing = dir.resolve("missing.jar");
        assertThatThrownBy(() -> ClassFileUpgrade.upgrade(missing, "picocli/", dir.resolve("x.jar")))
                .isInstanceOf(IOException.class);
    }
}
