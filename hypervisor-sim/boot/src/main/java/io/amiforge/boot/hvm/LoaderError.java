package io.amiforge.boot.hvm;

import io.amiforge.x86.bios.Screen;
import java.util.List;

/**
 * The error a real boot loader prints when it cannot start the kernel, read from the text
 * screen: GRUB 2's {@code error: ...} lines (``error: file `/boot/vmlinuz' not found.``,
 * {@code error: invalid magic number.}) and SYSLINUX's {@code Loading /vmlinuz... failed: No
 * such file or directory}, {@code Booting kernel failed: Invalid argument}, {@code Could not find
 * kernel image: ...}, {@code Invalid or corrupt kernel image.} and {@code No DEFAULT or UI
 * configuration directive found!}. Such a loader then waits for a key (GRUB's {@code Press any
 * key to continue...}, SYSLINUX's {@code boot:} prompt, where its timeout retries the same
 * entry), which no one will press: {@link HvmBoot} ends the boot as {@code failed} with the
 * loader's own words instead of spending the whole budget.
 */
final class LoaderError {

    private static final List<String> PREFIXES = List.of("error: ", "Booting kernel failed: ", "Could not find kernel image: ",
            "Invalid or corrupt kernel image", "No DEFAULT or UI configuration directive found");

    private LoaderError() {
    }

    /**
     * The last loader error line on {@code screen} (trimmed), after the lines right before it that
     * name what the loader was starting (GRUB's {@code Booting `entry'}, SYSLINUX's
     * {@code Loading /vmlinuz... ok}), joined with " / "; null when there is none.
     */
    static String find(Screen screen) {
        List<String> rows = screen.rows();
        for (int i = rows.size() - 1; i >= 0; i--) {
            String line = rows.get(i).strip();
            if (isError(line)) {
                StringBuilder out = new StringBuilder(line);
                for (int j = i - 1; j >= 0; j--) {
                    String before = rows.get(j).strip();
                    if (before.isEmpty()) {
                        continue;
                    }
                    if (!(before.startsWith("Booting ") || before.startsWith("Loading ")) || isError(before)) {
                        break;
                    }
                    out.insert(0, before + " / ");
                }
                return out.toString();
            }
        }
        return null;
    }

    static boolean isError(String line) {
        for (String p : PREFIXES) {
            if (line.startsWith(p)) {
                return true;
            }
        }
        // SYSLINUX: "Loading <file>... failed: <reason>" (a file it could not open or read)
        return line.startsWith("Loading ") && line.contains("... failed: ");
    }
}
