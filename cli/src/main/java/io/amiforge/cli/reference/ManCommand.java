package io.amiforge.cli.reference;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.WholeTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge man [COMMAND...] | --dir DIR | --markdown}: the man page of a command, every
 * man page into a directory, or the Markdown reference ({@code docs/cli.md}), all written from
 * the same picocli model as {@code --help}. With {@code --json}, one document holding the text.
 */
@Command(name = "man",
        description = {"Print a command's man page (roff), write every page into a directory, or print the Markdown reference.",
            "Example: amiforge man image convert | man -l -"})
public final class ManCommand extends CommandBase implements WholeTree {

    @Parameters(paramLabel = "COMMAND", arity = "0..*",
            description = {"The command whose page to print (default: amiforge itself).", "Example: image convert"})
    List<String> command = List.of();

    @Option(names = "--dir", paramLabel = "DIR",
            description = {"Write one page per command into DIR (amiforge-image-convert.1, ...).", "Example: --dir share/man/man1"})
    Path dir;

    @Option(names = "--markdown",
            description = {"Print the whole reference as Markdown instead (what docs/cli.md holds).", "Example: --markdown > docs/cli.md"})
    boolean markdown;

    @Override
    protected int execute() throws IOException {
        CommandLine root = spec.root().commandLine();
        String version = root.getCommandSpec().version().length == 0 ? "amiforge" : root.getCommandSpec().version()[0];
        if (markdown) {
            String reference = MarkdownReference.render(root);
            print(java.util.Map.of("Markdown", reference), reference);
        } else if (dir != null) {
            Files.createDirectories(dir);
            List<CommandLine> all = CommandTree.commands(root);
            for (CommandLine c : all) {
                Files.writeString(dir.resolve(ManPage.fileName(c.getCommandSpec())), ManPage.render(c.getCommandSpec(), version));
            }
            print(java.util.Map.of("Directory", dir.toString(), "Pages", all.size()), all.size() + " man pages written to " + dir);
        } else {
            CommandLine target = root;
            for (String name : command) {
                CommandLine next = target.getSubcommands().get(name);
                if (next == null) {
                    throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "no command '"
                            + target.getCommandSpec().qualifiedName() + " " + name + "' (commands: "
                            + String.join(", ", target.getSubcommands().keySet()) + ")");
                }
                target = next;
            }
            String page = ManPage.render(target.getCommandSpec(), version);
            print(java.util.Map.of("Command", target.getCommandSpec().qualifiedName(), "ManPage", page), page);
        }
        return 0;
    }
}
