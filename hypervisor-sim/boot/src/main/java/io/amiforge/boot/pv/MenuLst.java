package io.amiforge.boot.pv;

import java.util.List;

/**
 * A parsed GRUB-legacy {@code menu.lst}: global settings, the entries in file order, and what
 * the parser skipped (unknown commands, bad values) with line numbers, as GRUB skips them.
 *
 * @param defaultEntry the {@code default} entry number (0 when absent), ignored when {@code defaultSaved}
 * @param defaultSaved whether {@code default saved} asks for the saved entry
 * @param fallback the {@code fallback} entry numbers, in order
 * @param timeout the {@code timeout} in seconds, -1 when absent
 * @param hiddenMenu whether {@code hiddenmenu} was given
 * @param entries the {@code title} entries
 * @param diagnostics lines the parser skipped or could not fully use
 */
public record MenuLst(
        int defaultEntry,
        boolean defaultSaved,
        List<Integer> fallback,
        int timeout,
        boolean hiddenMenu,
        List<Entry> entries,
        List<Diagnostic> diagnostics) {

    public MenuLst {
        fallback = List.copyOf(fallback);
        entries = List.copyOf(entries);
        diagnostics = List.copyOf(diagnostics);
    }

    /** A note about one line of the file: its number (from 1) and what happened. */
    public record Diagnostic(int line, String message) {
        @Override
        public String toString() {
            return "line " + line + ": " + message;
        }
    }

    /** A command line of an entry: the path (device prefix removed), its arguments, and where it was. */
    public record FileCommand(RootDevice device, String path, String args, int line) {
    }

    /**
     * One {@code title} entry.
     *
     * @param index the entry number (from 0) as {@code default} counts
     * @param title the title text
     * @param line the line of the {@code title} command
     * @param root the {@code root} device, null when the entry has none
     * @param rootLine line of the {@code root} command, 0 when none
     * @param kernel the {@code kernel} command, null when the entry has none
     * @param initrd the {@code initrd} command, null when the entry has none
     * @param saveDefault whether the entry has {@code savedefault}
     * @param problems reasons this entry cannot boot found while parsing (bad root, unsupported command)
     */
    public record Entry(int index, String title, int line, RootDevice root, int rootLine,
                        FileCommand kernel, FileCommand initrd, boolean saveDefault, List<Diagnostic> problems) {
        public Entry {
            problems = List.copyOf(problems);
        }
    }
}
