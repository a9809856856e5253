package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The house rules ARCHITECTURE.md states, checked over the sources of every module (found
 * from {@code amiforge.root}, which surefire sets to the root of the build): the package graph
 * has no cycles, and the block core depends on nothing but the JDK.
 *
 * <p>A package depends on another when one of its files imports it or names one of its types
 * fully qualified in code (comments and string literals do not count). Only amiforge's own
 * packages take part in the cycle check, and no edge is excused: the CLI's root command lists
 * its sub-commands, which build on {@code io.amiforge.cli.common}, never on the root package.
 */
class ArchitectureTest {

    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    private static final Pattern IMPORT = Pattern.compile("^\\s*import\\s+(?:static\\s+)?([\\w.]+)(?:\\.\\*)?\\s*;",
            Pattern.MULTILINE);
    /** A qualified type name in code: a top-level domain, lower-case segments, then a type (upper case first). */
    private static final Pattern QUALIFIED = Pattern.compile(
            "(?<![\\w.])((?:java|javax|jdk|sun|com|org|io|net|me|info)\\.(?:[a-z][a-z0-9_]*\\.)*)[A-Z]");
    private static final String CORE_PACKAGE = "io.amiforge.blockdev";
    private static final String CLI_PACKAGE = "io.amiforge.cli";

    /** Every production source file of the build: its module folder, package, and the packages it uses. */
    record Source(Path file, String pkg, Set<String> uses) {
    }

    @Test
    void thePackageGraphHasNoCycles() {
        List<Source> sources = sources();
        assertThat(sources).as("sources found under %s", root()).hasSizeGreaterThan(100);
        Map<String, Map<String, Path>> graph = new TreeMap<>();
        for (Source s : sources) {
            Map<String, Path> edges = graph.computeIfAbsent(s.pkg(), k -> new TreeMap<>());
            for (String used : s.uses()) {
                if (used.startsWith("io.amiforge.") && !used.equals(s.pkg())) {
                    edges.putIfAbsent(used, s.file());
                }
            }
        }
        List<String> cycles = new ArrayList<>();
        for (Set<String> component : stronglyConnected(graph)) {
            if (component.size() > 1) {
                StringBuilder why = new StringBuilder(String.join(" <-> ", component));
                for (String from : component) {
                    graph.get(from).forEach((to, file) -> {
                        if (component.contains(to)) {
                            why.append("\n    ").append(from).append(" -> ").append(to).append(" (")
                                    .append(root().relativize(file)).append(')');
                        }
                    });
                }
                cycles.add(why.toString());
            }
        }
        assertThat(cycles).as("package cycles").isEmpty();
    }


    @Test
    void noLibraryUsesTheCli() {
        List<String> offenders = sources().stream().filter(s -> !s.pkg().startsWith(CLI_PACKAGE))
                .filter(s -> s.uses().stream().anyMatch(u -> u.equals(CLI_PACKAGE) || u.startsWith(CLI_PACKAGE + ".")))
                .map(s -> root().relativize(s.file()).toString()).toList();
        assertThat(offenders).as("library sources that use the CLI").isEmpty();
    }

    @Test
    void theBlockCoreUsesOnlyTheJdk() {
        List<String> outside = new ArrayList<>();
        for (Source s : sources()) {
            if (!s.file().startsWith(root().resolve("blockdev/core"))) {
                continue;
            }
            for (String used : s.uses()) {
                if (!used.startsWith("java.") && !used.equals(CORE_PACKAGE) && !used.startsWith(CORE_PACKAGE + ".")) {
                    outside.add(root().relativize(s.file()) + " uses " + used);
                }
            }
        }
        assertThat(outside).as("blockdev/core reaching outside java.*").isEmpty();
    }

    @Test
    void theBlockCoreDeclaresNoDependency() throws IOException {
        String pom = Files.readString(root().resolve("blockdev/core/pom.xml"));
        // test-scoped dependencies (JUnit and friends come from the parent) would be harmless; there are none
        List<String> declared = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL).matcher(pom).results()
                .map(m -> m.group(1).replaceAll("\\s+", " ").trim())
                .filter(d -> !d.contains("<scope>test</scope>"))
                .toList();
        assertThat(declared).as("blockdev/core/pom.xml dependencies (the core must stay a jar with none)").isEmpty();
        String moduleInfo = Files.readString(root().resolve("blockdev/core/src/main/java/module-info.java"));
        assertThat(Pattern.compile("\\brequires\\s+(?:transitive\\s+|static\\s+)*([\\w.]+)").matcher(moduleInfo).results()
                .map(m -> m.group(1)).filter(m -> !m.startsWith("java.")).toList())
                .as("blockdev/core module-info requires").isEmpty();
    }

    @Test
    void theCycleFinderFindsACycleAndOnlyThat() {
        Map<String, Map<String, Path>> graph = new TreeMap<>();
        Path p = Path.of("x");
        graph.put("a", new TreeMap<>(Map.of("b", p)));
        graph.put("b", new TreeMap<>(Map.of("c", p)));
        graph.put("c", new TreeMap<>(Map.of("a", p, "d", p)));
        graph.put("d", new TreeMap<>());
        assertThat(stronglyConnected(graph)).containsExactlyInAnyOrder(Set.of("a", "b", "c"), Set.of("d"));
        assertThat(uses("package p;\nimport java.util.List;\nimport static q.r.S.m;\n"
                + "// io.netty.Foo in a comment\nclass A { String s = \"org.x.Y\"; io.amiforge.boot.BootReport.Stage t; }"))
                .containsExactlyInAnyOrder("java.util", "q.r", "io.amiforge.boot");
    }

    // ---- scanning ----------------------------------------------------------------------------

    private static Path root() {
        String root = System.getProperty("amiforge.root");
        Path dir = root != null ? Path.of(root) : Path.of("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("blockdev/core"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("the build root (with blockdev/core) from amiforge.root=%s or the working directory", root)
                .isNotNull();
        return dir.toAbsolutePath().normalize();
    }

    private static List<Source> sources;

    /** Every production source file under the root, read once per test run. */
    private static synchronized List<Source> sources() {
        if (sources == null) {
            List<Path> files = new ArrayList<>();
            try {
                Files.walkFileTree(root(), new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                        String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                        return name.equals("target") || (name.startsWith(".") && !dir.equals(root()))
                                ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        String name = file.getFileName().toString();
                        if (name.endsWith(".java") && !name.equals("module-info.java")
                                && file.toString().replace('\\', '/').contains("/src/main/java/")) {
                            files.add(file);
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sources = files.stream().map(ArchitectureTest::read).toList();
        }
        return sources;
    }

    private static Source read(Path file) {
        try {
            String text = Files.readString(file);
            Matcher pkg = PACKAGE.matcher(stripCommentsAndStrings(text));
            assertThat(pkg.find()).as("package declaration in %s", file).isTrue();
            return new Source(file, pkg.group(1), uses(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The packages a source file uses: imports (static ones included) and qualified names in code. */
    static Set<String> uses(String text) {
        String code = stripCommentsAndStrings(text);
        Set<String> packages = new TreeSet<>();
        Matcher imports = IMPORT.matcher(code);
        while (imports.find()) {
            packages.add(packageOf(imports.group(1)));
        }
        String body = IMPORT.matcher(PACKAGE.matcher(code).replaceAll("")).replaceAll("");
        Matcher qualified = QUALIFIED.matcher(body);
        while (qualified.find()) {
            String prefix = qualified.group(1);
            packages.add(prefix.substring(0, prefix.length() - 1));
        }
        return packages;
    }

    /** The package part of a qualified name: its segments before the first that starts upper case. */
    private static String packageOf(String name) {
        String[] parts = name.split("\\.");
        StringBuilder pkg = new StringBuilder();
        for (String part : parts) {
            if (!part.isEmpty() && Character.isUpperCase(part.charAt(0))) {
                break;
            }
            if (!pkg.isEmpty()) {
                pkg.append('.');
            }
            pkg.append(part);
        }
        return pkg.toString();
    }

    /** Blanks comments, string literals (text blocks included) and char literals, keeping line breaks. */
    static String stripCommentsAndStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (s.startsWith("//", i)) {
                while (i < s.length() && s.charAt(i) != '\n') {
                    i++;
                }
            } else if (s.startsWith("/*", i)) {
                int end = s.indexOf("*/", i + 2);
                i = end < 0 ? s.length() : end + 2;
                out.append(' ');
            } else if (s.startsWith("\"\"\"", i)) {
                int end = s.indexOf("\"\"\"", i + 3);
                while (end > 0 && s.charAt(end - 1) == '\\') {
                    end = s.indexOf("\"\"\"", end + 1);
                }
                i = end < 0 ? s.length() : end + 3;
                out.append("\"\"");
            } else if (c == '"' || c == '\'') {
                i++;
                while (i < s.length() && s.charAt(i) != c && s.charAt(i) != '\n') {
                    i += s.charAt(i) == '\\' ? 2 : 1;
                }
                i++;
                out.append(c).append(c);
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    // ---- graph -------------------------------------------------------------------------------

    /** Tarjan's strongly connected components of {@code graph} (nodes without an entry have no edges). */
    static List<Set<String>> stronglyConnected(Map<String, Map<String, Path>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new HashSet<>();
        List<Set<String>> components = new ArrayList<>();
        for (String node : graph.keySet()) {
            if (!index.containsKey(node)) {
                connect(node, graph, index, low, stack, onStack, components);
            }
        }
        return components;
    }

    private static void connect(String node, Map<String, Map<String, Path>> graph, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                List<Set<String>> components) {
        index.put(node, index.size());
        low.put(node, index.get(node));
        stack.push(node);
        onStack.add(node);
        for (String next : graph.getOrDefault(node, Map.of()).keySet()) {
            if (!index.containsKey(next)) {
                connect(next, graph, index, low, stack, onStack, components);
                low.put(node, Math.min(low.get(node), low.get(next)));
            } else if (onStack.contains(next)) {
                low.put(node, Math.min(low.get(node), index.get(next)));
            }
        }
        if (low.get(node).equals(index.get(node))) {
            Set<String> component = new TreeSet<>();
            String member;
            do {
                member = stack.pop();
                onStack.remove(member);
                component.add(member);
            } while (!member.equals(node));
            components.add(component);
        }
    }
}
