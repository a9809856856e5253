package io.amiforge.cli.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.StoreLock;
import io.amiforge.store.VolumeInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

/**
 * Makes a volume import that writes straight into a new volume all-or-nothing. Before the volume
 * is created, a durable marker {@code REGION/imports/NAME.import} (the start time, then the new
 * volume's id) is written under an exclusive lock {@code NAME.lock} that the importing process
 * holds until the end (the OS drops it if the process dies, even by {@code kill -9}). A finished
 * import deletes its marker ({@link #commit()}); a failed one deletes the volume it made and then
 * the marker ({@link #close()} without commit); a killed one leaves the marker, and the next
 * command that opens the store ({@link #recover}) finds it unlocked and deletes that volume. So
 * after a failed or killed import no volume of that name is left, and the name can be used again.
 *
 * <p>The volume is identified by the id in the marker, or, if the process died between creating
 * the volume and recording its id, as the volume of that name created after the import began.
 */
public final class ImportGuard implements AutoCloseable {

    private static final String SUFFIX = ".import";

    private final SnapshotStore store;
    private final String name;
    private final Path marker;
    private final StoreLock lock;
    private final Instant started;
    private String volumeId;
    private boolean done;

    private ImportGuard(SnapshotStore store, String name, Path marker, StoreLock lock, Instant started) {
        this.store = store;
        this.name = name;
        this.marker = marker;
        this.lock = lock;
        this.started = started;
    }

    /** The directory of a store's import markers: {@code imports/} beside the store directory. */
    public static Path markersOf(SnapshotStore store) {
        return store.directory().resolveSibling("imports");
    }

    /**
     * Begins importing into a new volume {@code name} of {@code store}: takes the name's import
     * lock ({@code StoreLocked} while another process imports that name) and records the marker.
     */
    public static ImportGuard begin(SnapshotStore store, String name) {
        Path dir = markersOf(store);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": " + e.getMessage(), e);
        }
        StoreLock lock = StoreLock.tryAcquire(dir.resolve(name + ".lock"), "import of volume " + name);
        ImportGuard guard = new ImportGuard(store, name, dir.resolve(name + SUFFIX), lock, Instant.now());
        try {
            guard.record();
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        return guard;
    }

    /** Records the id of the volume the import created, so only that volume is ever deleted for it. */
    public void created(String id) {
        volumeId = id;
        record();
    }

    /** The import is complete and flushed: the volume stays; the marker goes. */
    public void commit() {
        deleteMarker();
        done = true;
        lock.close();
    }

    /** Without {@link #commit()}: deletes the volume the import created, then the marker. */
    @Override
    public void close() {
        if (done) {
            return;
        }
        try {
            deleteVolume(store, name, volumeId, started);
            deleteMarker();
        } finally {
            done = true;
            lock.close();
        }
    }

    /**
     * Ends the imports into {@code store} whose process died: deletes the volume each made and
     * its marker. Imports still running (their lock held) are left alone.
     */
    public static void recover(SnapshotStore store) {
        Path dir = markersOf(store);
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> markers;
        try (Stream<Path> files = Files.list(dir)) {
            markers = files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).toList();
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": cannot list import markers: " + e.getMessage(), e);
        }
        for (Path marker : markers) {
            String file = marker.getFileName().toString();
            String name = file.substring(0, file.length() - SUFFIX.length());
            StoreLock lock;
            try {
                lock = StoreLock.tryAcquire(dir.resolve(name + ".lock"), "import of volume " + name);
            } catch (AmiforgeException e) {
                if ("StoreLocked".equals(e.code())) {
                    continue; // still importing
                }
                throw e;
            }
            try (lock) {
                String[] fields = readMarker(marker);
                if (fields == null) {
                    continue; // committed between the listing and the lock
                }
                deleteVolume(store, name, fields.length > 1 ? fields[1] : null, Instant.parse(fields[0]));
                delete(marker);
            }
        }
    }

    private static void deleteVolume(SnapshotStore store, String name, String id, Instant started) {
        VolumeInfo volume = store.listVolumes().stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
        if (volume == null) {
            return;
        }
        boolean ours = id != null ? volume.id().equals(id) : !volume.createdAt().isBefore(started);
        if (ours) {
            store.deleteVolume(name);
        }
    }

    private void record() {
        String text = started + (volumeId == null ? "" : " " + volumeId) + "\n";
        Path temp = marker.resolveSibling(marker.getFileName() + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(temp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(marker.getParent());
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", marker + ": cannot record the import of volume " + name
                    + ": " + e.getMessage(), e);
        }
    }

    private static String[] readMarker(Path marker) {
        try {
            String text = Files.readString(marker, StandardCharsets.UTF_8).strip();
            String[] fields = text.split(" ");
            Instant.parse(fields[0]);
            return fields;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | RuntimeException e) {
            throw new AmiforgeException(Kind.INVALID_INPUT, "CorruptData", marker
                    + ": an import marker that cannot be read (expected a start time and a volume id): " + e.getMessage(), e);
        }
    }

    private void deleteMarker() {
        delete(marker);
    }

    private static void delete(Path marker) {
        try {
            Files.deleteIfExists(marker);
            syncDirectory(marker.getParent());
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", marker + ": cannot delete the import marker: "
                    + e.getMessage(), e);
        }
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
