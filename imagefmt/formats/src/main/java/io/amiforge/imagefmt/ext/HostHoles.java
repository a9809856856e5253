package io.amiforge.imagefmt.ext;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where a host file has data, from {@code lseek(SEEK_DATA/SEEK_HOLE)} through the FFM API, so a
 * 5 GiB sparse source is copied without reading its holes. Returns null wherever this is not
 * available (not Linux, no native access, a filesystem without the calls); callers then read
 * everything and detect zero blocks themselves.
 */
final class HostHoles {

    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int MAX_REGIONS = 1 << 20;
    private static final MethodHandle OPEN;
    private static final MethodHandle LSEEK;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle[] handles = link();
        OPEN = handles[0];
        LSEEK = handles[1];
        CLOSE = handles[2];
    }

    @SuppressWarnings("restricted") // native lseek/open/close; the jar declares Enable-Native-Access
    private static MethodHandle[] link() {
        MethodHandle open;
        MethodHandle lseek = null;
        MethodHandle close = null;
        try {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            open = linker.downcallHandle(libc.find("open").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
                    Linker.Option.firstVariadicArg(2));
            lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            close = linker.downcallHandle(libc.find("close").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        } catch (Throwable t) {
            open = null;
        }
        return new MethodHandle[] {open, lseek, close};
    }

    private HostHoles() {
    }

    /** The data regions {@code [start, end)} of {@code file} in order, or null when unknown. */
    static List<long[]> dataRegions(Path file, long size) {
        if (OPEN == null || !System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toString()), 0);
            if (fd < 0) {
                return null;
            }
            try {
                List<long[]> out = new ArrayList<>();
                long pos = 0;
                while (pos < size) {
                    long data = (long) LSEEK.invokeExact(fd, pos, SEEK_DATA);
                    if (data < 0 || data >= size) {
                        break; // ENXIO: only a hole remains
                    }
                    long hole = (long) LSEEK.invokeExact(fd, data, SEEK_HOLE);
                    if (hole <= data) {
                        return null;
                    }
                    out.add(new long[] {data, Math.min(hole, size)});
                    if (out.size() > MAX_REGIONS) {
                        return null;
                    }
                    pos = hole;
                }
                return out;
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (Throwable t) {
            return null;
        }
    }
}
