package io.amiforge.blockdev;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Lowers the priority of the calling thread for background work that must not slow the
 * foreground (a store's automatic packs): CPU nice 19 ({@code setpriority} on the thread's id;
 * on Linux nice is per thread) and the lowest best-effort I/O level ({@code ioprio_set}, class
 * best-effort, level 7). The thread still gets CPU and disk time when others want them (a
 * nice-19 thread gets about 1.5% of a core against a nice-0 one, and all of an idle one), so
 * background work is slowed, never starved. Where the calls are unavailable (not Linux, no
 * native access) nothing changes.
 */
@SuppressWarnings("restricted") // binding libc through FFM; run with --enable-native-access
public final class BackgroundPriority {

    private static final int PRIO_PROCESS = 0;
    private static final int NICE = 19;
    private static final int IOPRIO_WHO_PROCESS = 1;
    private static final int IOPRIO_CLASS_BE = 2;
    private static final int IOPRIO_CLASS_SHIFT = 13;
    private static final int IOPRIO_LOWEST_BE_LEVEL = 7;

    private static final MethodHandle GETTID;
    private static final MethodHandle SETPRIORITY;
    /** {@code long syscall(long number, ...)} for ioprio_set, or null. */
    private static final MethodHandle SYSCALL;
    /** ioprio_set's system call number on this architecture, or -1. */
    private static final long IOPRIO_SET = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 251;
        case "aarch64" -> 30;
        default -> -1;
    };

    static {
        MethodHandle gettid = null;
        MethodHandle setpriority = null;
        MethodHandle syscall = null;
        if (System.getProperty("os.name", "").startsWith("Linux")) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                gettid = linker.downcallHandle(libc.find("gettid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
                setpriority = linker.downcallHandle(libc.find("setpriority").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                syscall = IOPRIO_SET < 0 ? null : linker.downcallHandle(libc.find("syscall").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(1));
            } catch (Throwable e) { // no native access (a module without it, another OS): run at normal priority
                gettid = null;
            }
        }
        GETTID = gettid;
        SETPRIORITY = setpriority;
        SYSCALL = syscall;
    }

    private BackgroundPriority() {
    }

    /**
     * Lowers the calling thread's CPU and I/O priority for good; returns whether the CPU
     * priority was lowered (false where unsupported).
     */
    public static boolean lowerCurrentThread() {
        if (GETTID == null) {
            return false;
        }
        try {
            int tid = (int) GETTID.invokeExact();
            boolean cpu = (int) SETPRIORITY.invokeExact(PRIO_PROCESS, tid, NICE) == 0;
            if (SYSCALL != null) {
                long unused = (long) SYSCALL.invokeExact(IOPRIO_SET, IOPRIO_WHO_PROCESS, tid,
                        IOPRIO_CLASS_BE << IOPRIO_CLASS_SHIFT | IOPRIO_LOWEST_BE_LEVEL);
            }
            return cpu;
        } catch (Throwable e) {
            return false;
        }
    }
}
