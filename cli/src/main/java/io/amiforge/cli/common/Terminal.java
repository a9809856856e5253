package io.amiforge.cli.common;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whether the process's standard error is a terminal ({@code isatty(2)}, through the FFM API):
 * the one test that decides whether a progress bar, with its carriage returns, may be drawn.
 * Where the C library cannot be reached the answer is "no", so a pipe never gets a bar.
 */
@SuppressWarnings("restricted") // asking libc isatty(2) through FFM is this class's job; run with --enable-native-access
public final class Terminal {

    private static final int STDERR = 2;
    private static final boolean STDERR_IS_TERMINAL = stderrIsTerminal();

    private Terminal() {
    }

    /** Whether file descriptor 2 of this process is a terminal (decided once, at class load). */
    public static boolean stderr() {
        return STDERR_IS_TERMINAL;
    }

    private static boolean stderrIsTerminal() {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(linker.defaultLookup().find("isatty").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int) isatty.invokeExact(STDERR) == 1;
        } catch (Throwable e) {
            return false; // no native access: behave as in a pipe
        }
    }
}
