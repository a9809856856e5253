package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The change generation of one region's {@code registry.json}: 8 bytes in {@code registry.seq},
 * mapped shared by every process that uses the region, so a process can tell without a system
 * call whether the registry it parsed earlier is still the one on disk.
 *
 * <p>It works as a sequence lock. A writer, holding the registry lock, makes the value odd
 * ({@link #beginWrite}) before it replaces the document and even again ({@link #endWrite})
 * after. A reader that sees the same even value before and after reading the document has read
 * a document no writer touched meanwhile, and may keep it under that value. A writer that dies
 * between the two leaves the value odd: readers then read the file every time (correct, only
 * slower) until the next writer moves it on. Unlike a file's modification time and size, two
 * changes within one time-stamp tick always differ here.
 *
 * <p>The value is a hint, not data: it is not fsynced, a process that starts has nothing
 * cached, and a registry file changed by anything other than {@link RegionRegistry} (by hand,
 * or by an older amiforge that does not know this file) is not noticed by processes that already
 * hold it parsed.
 */
final class RegistryGeneration {

    private static final VarHandle VALUE = ValueLayout.JAVA_LONG.varHandle();

    private final MemorySegment map;

    private RegistryGeneration(MemorySegment map) {
        this.map = map;
    }

    /** Maps {@code file}, creating it (8 zero bytes) if absent; the mapping lives as long as this object. */
    static RegistryGeneration open(Path file, FileOps fileOps) {
        try {
            fileOps.before(FileOps.Op.CREATE, file);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot create: " + e.getMessage(), e);
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            // mapping past the end grows the file with zeros; a mapping outlives its channel
            return new RegistryGeneration(channel.map(FileChannel.MapMode.READ_WRITE, 0, Long.BYTES, Arena.ofAuto()));
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot map the registry generation: " + e.getMessage(), e);
        }
    }

    /** The current value, every process's changes included. */
    long read() {
        return (long) VALUE.getAcquire(map, 0L);
    }

    /** Whether {@code value} was read while no writer was between {@link #beginWrite} and {@link #endWrite}. */
    static boolean stable(long value) {
        return (value & 1) == 0;
    }

    /** Marks a change in progress (the value becomes odd and new). Registry lock held. */
    void beginWrite() {
        long value = read();
        VALUE.setRelease(map, 0L, stable(value) ? value + 1 : value + 2);
    }

    /** Marks the change done (the value becomes even and new). Registry lock held, after {@link #beginWrite}. */
    void endWrite() {
        VALUE.setRelease(map, 0L, read() + 1);
    }
}
