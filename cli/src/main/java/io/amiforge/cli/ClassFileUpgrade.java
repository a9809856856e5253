package io.amiforge.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassFileVersion;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.ClassTransform;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Copies the classes of one package prefix out of a jar into a new jar, rewritten as Java 8
 * class files (version 52, with the stack maps the split verifier wants), for the
 * {@code ./amiforge} launcher's start-up cache.
 *
 * <p>Why: the JVM's ahead-of-time cache skips every class older than version 50 that was
 * linked during training ("Old class has been linked"), and picocli is built for Java 5 (version
 * 49), so its ~170 classes were parsed, verified by the old type-inferring verifier and linked
 * from the jar on every run. Placed before the jar on the class path, the rewritten copies are
 * the ones loaded, and they can be cached. The bytecode itself is not changed: only the version
 * and the generated {@code StackMapTable} attributes are new, and a class that cannot be given
 * stack maps fails the whole run, so that the launcher falls back to the original jar.
 *
 * <p>Usage: {@code ClassFileUpgrade JAR PREFIX OUTPUT_JAR}, e.g. {@code amiforge.jar picocli/
 * amiforge-picocli.jar}; exits 0 after writing {@code OUTPUT_JAR} atomically, else 1 with one
 * line on stderr.
 */
public final class ClassFileUpgrade {

    /** The class file version written: Java 8, the oldest that the AOT cache links. */
    static final int TARGET_MAJOR = ClassFile.JAVA_8_VERSION;

    private ClassFileUpgrade() {
    }

    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: ClassFileUpgrade JAR PREFIX OUTPUT_JAR");
            System.exit(2);
        }
        try {
            int count = upgrade(Path.of(args[0]), args[1], Path.of(args[2]));
            System.out.println("rewrote " + count + " classes under " + args[1] + " into " + args[2]);
        } catch (IOException | IllegalArgumentException e) {
            System.err.println("ClassFileUpgrade: " + e.getMessage());
            System.exit(1);
        }
    }

    /**
     * Writes every class of {@code jar} whose entry name starts with {@code prefix}, upgraded to
     * version {@link #TARGET_MAJOR} when older, into {@code output} (replaced atomically);
     * returns how many classes it wrote.
     *
     * @throws IllegalArgumentException when no class matches or a class cannot be rewritten
     *     (named in the message)
     */
    public static int upgrade(Path jar, String prefix, Path output) throws IOException {
        Path tmp = output.resolveSibling(output.getFileName() + ".tmp");
        int count = 0;
        try (JarFile in = new JarFile(jar.toFile());
             URLClassLoader hierarchy = new URLClassLoader(new URL[] {jar.toUri().toURL()}, ClassLoader.getPlatformClassLoader());
             OutputStream file = Files.newOutputStream(tmp);
             JarOutputStream out = new JarOutputStream(file)) {
            ClassFile classFile = ClassFile.of(
                    ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.ofResourceParsing(hierarchy)),
                    ClassFile.StackMapsOption.GENERATE_STACK_MAPS);
            Enumeration<JarEntry> entries = in.entries();
            while (entries.hasMoreElements()) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                if (!name.startsWith(prefix) || !name.endsWith(".class") || name.startsWith("META-INF/")) {
                    continue;
                }
                byte[] bytes;
                try (InputStream stream = in.getInputStream(entry)) {
                    bytes = stream.readAllBytes();
                }
                out.putNextEntry(new JarEntry(name));
                out.write(upgrade(classFile, name, bytes));
                out.closeEntry();
                count++;
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        if (count == 0) {
            Files.deleteIfExists(tmp);
            throw new IllegalArgumentException("no class under " + prefix + " in " + jar);
        }
        Files.move(tmp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return count;
    }

    private static byte[] upgrade(ClassFile classFile, String name, byte[] bytes) {
        ClassModel model;
        try {
            model = classFile.parse(bytes);
        } catch (RuntimeException e) { // the API reports malformed input as several unchecked exceptions
            throw new IllegalArgumentException(name + " is not a valid class file: " + e, e);
        }
        if (model.majorVersion() >= TARGET_MAJOR) {
            return bytes;
        }
        ClassTransform toTarget = (builder, element) -> {
            if (element instanceof ClassFileVersion) {
                builder.withVersion(TARGET_MAJOR, 0);
            } else {
                builder.with(element);
            }
        };
        try {
            // rebuilding every method body is what makes the API compute stack maps for it
            return classFile.transformClass(model, toTarget.andThen(ClassTransform.transformingMethodBodies((code, e) -> code.with(e))));
        } catch (RuntimeException e) { // a class the API cannot give stack maps (or read completely)
            throw new IllegalArgumentException(name + " cannot be rewritten as version " + TARGET_MAJOR + ": " + e, e);
        }
    }
}
