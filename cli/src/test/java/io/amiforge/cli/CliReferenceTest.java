package io.amiforge.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.amiforge.cli.CliRunner.Run;
import io.amiforge.cli.reference.MarkdownReference;
import io.amiforge.testkit.Interop;
import io.amiforge.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/cli.md, the man pages and the completion script are written from the same model as
 * --help: the committed reference is current, every page is valid roff, and completion knows
 * every command.
 */
class CliReferenceTest {

    @TempDir
    Path dir;

    private static Path root() {
        return Path.of(System.getProperty("amiforge.root", ".."));
    }

    @Test
    void docsCliMdIsTheGeneratedReference() throws Exception {
        Path docs = root().resolve("docs/cli.md");
        String generated = MarkdownReference.render(Main.newCommandLine());
        assertThat(Files.exists(docs) ? Files.readString(docs) : "")
                .as("docs/cli.md is stale: regenerate it with ./amiforge man --markdown > docs/cli.md")
                .isEqualTo(generated);
        assertThat(generated).contains("## amiforge image convert", "| `-O=FMT` |", "Example: amiforge image map --output=json top.qcow2")
                .doesNotContain("%%", "${");
        Run run = CliRunner.run("man", "--markdown");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo(generated);
    }

    @Test
    void thereIsAManPagePerCommand() throws Exception {
        Run run = CliRunner.run("man", "--dir", dir.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        try (var pages = Files.list(dir)) {
            List<String> names = pages.map(p -> p.getFileName().toString()).toList();
            assertThat(names).contains("amiforge.1", "amiforge-image-convert.1", "amiforge-volume-export.1", "amiforge-man.1");
            assertThat(names).hasSize(count(Main.newCommandLine()));
        }
        String convert = Files.readString(dir.resolve("amiforge-image-convert.1"));
        assertThat(convert).startsWith(".TH \"AMIFORGE-IMAGE-CONVERT\" \"1\"").contains(".SH SYNOPSIS", ".SH OPTIONS", "\\fB\\-O\\fR \\fIFMT\\fR",
                ".SH GLOBAL OPTIONS", "\\fBamiforge\\-image\\fR(1)");
        Run one = CliRunner.run("man", "image", "convert");
        assertThat(one.out()).isEqualTo(convert);
        assertThat(CliRunner.run("man", "image", "nope").exitCode()).isEqualTo(2);
    }

    private static int count(picocli.CommandLine command) {
        return 1 + command.getSubcommands().values().stream().distinct().mapToInt(CliReferenceTest::count).sum();
    }

    @Test
    @Tag("interop")
    void groffFormatsEveryPageWithoutAWarning() throws Exception {
        Path groff = Interop.tool("groff");
        assertThat(CliRunner.run("man", "--dir", dir.toString()).exitCode()).isZero();
        try (var pages = Files.list(dir)) {
            for (Path page : pages.toList()) {
                Processes.Result result = Processes.command(groff.toString(), "-man", "-Tutf8", "-ww", "-z", page.toString()).run();
                assertThat(result.exitCode()).as(page.toString()).isZero();
                assertThat(new String(result.stderr(), java.nio.charset.StandardCharsets.UTF_8)).as(page.toString()).isEmpty();
            }
        }
    }

    @Test
    void completionKnowsEveryCommand() {
        Run run = CliRunner.run("completion");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("#!/usr/bin/env bash").contains("complete -F _complete_amiforge", "convert", "compare",
                "map", "launch-permission", "--virtualization");
    }
}
