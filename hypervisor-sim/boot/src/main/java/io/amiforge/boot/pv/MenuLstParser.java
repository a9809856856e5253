package io.amiforge.boot.pv;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses GRUB-legacy {@code menu.lst} text as PV-GRUB (GRUB 0.97) reads it: one command per
 * line; leading blanks and {@code #} comments ignored; the command name ends at a blank or
 * {@code =}, and blanks and {@code =} between command and argument are separators
 * ({@code default=1}, {@code timeout = 5}). Commands before the first {@code title} are global.
 * Unknown commands are recorded with their line number and skipped, as GRUB does; commands GRUB
 * knows but that do nothing for a PV boot ({@code color}, {@code splashimage}, ...) are ignored.
 * Never throws on any text.
 */
public final class MenuLstParser {

    /** Largest menu.lst PV-GRUB will read; GRUB legacy's own config buffer is far smaller. */
    public static final int MAX_BYTES = 1 << 20;

    private static final Set<String> IGNORED_GLOBAL = Set.of(
            "color", "splashimage", "gfxmenu", "password", "serial", "terminal", "foreground",
            "background", "shade", "viewport", "verbose", "debug");
    private static final Set<String> IGNORED_ENTRY = Set.of(
            "boot", "lock", "password", "makeactive", "quiet", "setkey", "savedefault");
    private static final Set<String> UNSUPPORTED_ENTRY = Set.of(
            "chainloader", "module", "modulenounzip", "kernel$", "map", "hide", "unhide", "configfile");

    private MenuLstParser() {
    }

    /** Parses {@code text}. */
    public static MenuLst parse(String text) {
        int defaultEntry = 0;
        boolean saved = false;
        List<Integer> fallback = new ArrayList<>();
        int timeout = -1;
        boolean hidden = false;
        List<MenuLst.Entry> entries = new ArrayList<>();
        List<MenuLst.Diagnostic> diags = new ArrayList<>();
        EntryBuilder current = null;

        String[] lines = text.split("\r?\n|\r", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int end = 0;
            while (end < line.length() && !isSeparator(line.charAt(end))) {
                end++;
            }
            String command = line.substring(0, end).toLowerCase(Locale.ROOT);
            int argStart = end;
            while (argStart < line.length() && isSeparator(line.charAt(argStart))) {
                argStart++;
            }
            String arg = line.substring(argStart).strip();

            if (command.equals("title")) {
                if (current != null) {
                    entries.add(current.build());
                }
                current = new EntryBuilder(entries.size(), arg, lineNo);
                continue;
            }
            if (current == null) {
                switch (command) {
                    case "default" -> {
                        if (arg.equals("saved")) {
                            saved = true;
                        } else {
                            Integer n = number(arg);
                            if (n == null) {
                                diags.add(new MenuLst.Diagnostic(lineNo, "default '" + arg
                                        + "' is neither an entry number nor 'saved'; using 0"));
                            } else {
                                defaultEntry = n;
                            }
                        }
                    }
                    case "fallback" -> {
                        for (String word : arg.split("[\\s,]+")) {
                            if (word.isEmpty()) {
                                continue;
                            }
                            Integer n = number(word);
                            if (n == null) {
                                diags.add(new MenuLst.Diagnostic(lineNo, "fallback '" + word + "' is not an entry number; skipped"));
                            } else {
                                fallback.add(n);
                            }
                        }
                    }
                    case "timeout" -> {
                        Integer n = number(arg);
                        if (n == null) {
                            diags.add(new MenuLst.Diagnostic(lineNo, "timeout '" + arg + "' is not a number; ignored"));
                        } else {
                            timeout = n;
                        }
                    }
                    case "hiddenmenu" -> hidden = true;
                    default -> {
                        if (!IGNORED_GLOBAL.contains(command)) {
                            diags.add(new MenuLst.Diagnostic(lineNo, "unknown command '" + command + "' skipped"));
                        }
                    }
                }
                continue;
            }
            switch (command) {
                case "root", "rootnoverify" -> {
                    RootDevice dev = RootDevice.parse(arg);
                    if (dev == null) {
                        current.problems.add(new MenuLst.Diagnostic(lineNo, "root '" + arg
                                + "' is not a GRUB hard-disk name such as (hd0) or (hd0,0)"));
                    } else {
                        current.root = dev;
                        current.rootLine = lineNo;
                    }
                }
                case "kernel" -> current.kernel = fileCommand(arg, lineNo, true, current.problems);
                case "initrd" -> current.initrd = fileCommand(arg, lineNo, false, current.problems);
                case "savedefault" -> current.saveDefault = true;
                default -> {
                    if (UNSUPPORTED_ENTRY.contains(command)) {
                        current.problems.add(new MenuLst.Diagnostic(lineNo, "'" + command
                                + "' is not supported by PV-GRUB (it boots one Xen PV kernel)"));
                    } else if (!IGNORED_ENTRY.contains(command)) {
                        diags.add(new MenuLst.Diagnostic(lineNo, "unknown command '" + command + "' skipped"));
                    }
                }
            }
        }
        if (current != null) {
            entries.add(current.build());
        }
        return new MenuLst(defaultEntry, saved, fallback, timeout, hidden, entries, diags);
    }

    private static MenuLst.FileCommand fileCommand(String arg, int lineNo, boolean kernel, List<MenuLst.Diagnostic> problems) {
        String rest = arg;
        // GRUB's kernel options (--type=..., --no-mem-option) come before the path.
        while (kernel && rest.startsWith("--")) {
            int sp = indexOfBlank(rest);
            rest = sp < 0 ? "" : rest.substring(sp).strip();
        }
        if (rest.isEmpty()) {
            problems.add(new MenuLst.Diagnostic(lineNo, (kernel ? "kernel" : "initrd") + " has no file name"));
            return null;
        }
        int sp = indexOfBlank(rest);
        String file = sp < 0 ? rest : rest.substring(0, sp);
        String args = sp < 0 ? "" : rest.substring(sp).strip();
        RootDevice device = null;
        int prefix = RootDevice.prefixLength(file);
        if (prefix > 0) {
            device = RootDevice.parse(file.substring(0, prefix));
            if (device == null) {
                problems.add(new MenuLst.Diagnostic(lineNo, "device '" + file.substring(0, prefix)
                        + "' is not a GRUB hard-disk name such as (hd0) or (hd0,0)"));
                return null;
            }
            file = file.substring(prefix);
        }
        if (!file.startsWith("/")) {
            problems.add(new MenuLst.Diagnostic(lineNo, "file name '" + file + "' must be an absolute path"));
            return null;
        }
        return new MenuLst.FileCommand(device, file, args, lineNo);
    }

    private static int indexOfBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
                return i;
            }
        }
        return -1;
    }

    private static boolean isSeparator(char c) {
        return c == ' ' || c == '\t' || c == '=';
    }

    private static Integer number(String s) {
        String t = s.strip();
        if (t.isEmpty() || t.length() > 9) {
            return null;
        }
        for (int i = 0; i < t.length(); i++) {
            if (!Character.isDigit(t.charAt(i)) || t.charAt(i) > '9') {
                return null;
            }
        }
        return Integer.parseInt(t);
    }

    private static final class EntryBuilder {
        final int index;
        final String title;
        final int line;
        RootDevice root;
        int rootLine;
        MenuLst.FileCommand kernel;
        MenuLst.FileCommand initrd;
        boolean saveDefault;
        final List<MenuLst.Diagnostic> problems = new ArrayList<>();

        EntryBuilder(int index, String title, int line) {
            this.index = index;
            this.title = title;
            this.line = line;
        }

        MenuLst.Entry build() {
            return new MenuLst.Entry(index, title, line, root, rootLine, kernel, initrd, saveDefault, problems);
        }
    }
}
