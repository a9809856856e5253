package io.amiforge.store;

import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.spi.FileOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The store's metadata: every volume and snapshot record, and the changes made to them since
 * the last commit ({@link #touch}, {@link #removeVolume}, {@link #removeSnapshot}: what the next
 * commit writes). Persisted as a base, the text file {@code catalog} ({@code amiforge-catalog 3},
 * one line per object of {@code key=value} fields, URL-encoded, and a last line
 * {@code crc <crc32c>} over everything before it), written atomically (write
 * {@code catalog.tmp}, fsync, rename over {@code catalog}, fsync the directory), plus the log of
 * changes since (see {@link #replayLog} and {@link CatalogLog}).
 */
final class Catalog {

    /** The header of a catalog whose log batches are chained (each commit line covers the one before). */
    static final String HEADER = "amiforge-catalog 3";
    /** The header of catalogs written before the chained log; upgraded on open (see {@code SnapshotStore}). */
    static final String HEADER_V2 = "amiforge-catalog 2";
    /** The header of catalogs written before records had owners; upgraded on open (see {@link #assignDefaultOwner}). */
    static final String HEADER_V1 = "amiforge-catalog 1";

    /** A volume: its current (top) layer, the snapshot under it (base), its lineage parent. */
    static final class VolumeRecord {
        String name;
        String id;
        long size;
        int blockSize;
        String write;
        String read;
        String parent;
        String base;
        String layer;
        int gen;
        Instant created;
        /** The owning account (12 digits); null only in a catalog written before owners existed. */
        String owner;
        /** The instance the volume is attached to (the cloud sets it), or null. */
        String attachedTo;
        final Map<Integer, Integer> genAlias = new TreeMap<>();
    }

    /** A snapshot: its own layer, the snapshot its view falls through to (base), its lineage parent. */
    static final class SnapshotRecord {
        String id;
        String volume;
        String volumeId;
        String parent;
        String base;
        String layer;
        long size;
        int blockSize;
        String description;
        Instant created;
        String mode;
        int gen;
        boolean materialized;
        /** The owning account (12 digits); null only in a catalog written before owners existed. */
        String owner;
        /** Accounts besides the owner that may create volumes from it (or {@code all}), as EC2's createVolumePermission. */
        final Set<String> permissions = new TreeSet<>();
        final Map<String, String> attributes = new TreeMap<>();
    }

    /** The generation of the log ({@code catalog.<gen>.log}) holding changes made after this catalog was saved. */
    long logGeneration;
    /** Whether this catalog's log is chained (format 3); false for a catalog read from an older format. */
    boolean chainedLog = true;

    /** Where a log's valid batches end, and the checksum the next batch chains on. */
    record LogEnd(long offset, int chain) {

        /** The start of an empty log of {@code generation}. */
        static LogEnd start(long generation) {
            return new LogEnd(0, CatalogFormat.chainSeed(generation));
        }
    }
    final Map<String, VolumeRecord> volumes = new LinkedHashMap<>();
    /**
     * In the order the records came in: a snapshot after the one it is built on (a record is
     * added when created, replayed in commit order, written and read back in this order).
     */
    final SequencedMap<String, SnapshotRecord> snapshots = new LinkedHashMap<>();
    /** The records naming each snapshot as their base; kept as records come, change and go. */
    private final BuiltOn builtOn = new BuiltOn();
    /** Records changed since the last commit (identity: a record replaced since is not written). */
    private final Set<VolumeRecord> touchedVolumes = new LinkedHashSet<>();
    private final Set<SnapshotRecord> touchedSnapshots = new LinkedHashSet<>();
    private final Set<String> deletedVolumes = new LinkedHashSet<>();
    private final Set<String> deletedSnapshots = new LinkedHashSet<>();

    static Catalog load(Path file) {
        Catalog catalog = new Catalog();
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return catalog;
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "read", e);
        }
        String text = new String(bytes, StandardCharsets.UTF_8);
        int crcLine = text.lastIndexOf("crc ");
        catalog.chainedLog = text.startsWith(HEADER + "\n");
        if (!(catalog.chainedLog || text.startsWith(HEADER_V2 + "\n") || text.startsWith(HEADER_V1 + "\n")) || crcLine < 0) {
            throw StoreException.corrupt(file + ": not an amiforge catalog (expected first line '" + HEADER
                    + "' and a last line 'crc ...')");
        }
        String body = text.substring(0, crcLine);
        String stored = text.substring(crcLine + 4).trim();
        String actual = CatalogFormat.crcOf(body);
        if (!actual.equals(stored)) {
            throw StoreException.corrupt(file + ": checksum mismatch (stored " + stored + ", computed " + actual + ")");
        }
        String[] lines = body.split("\n");
        for (int i = 1; i < lines.length; i++) {
            catalog.apply(file, i + 1, lines[i]);
        }
        return catalog;
    }


    /** Applies one record line of a saved catalog (an upsert by name or id). */
    void apply(Path file, int lineNumber, String line) {
        apply(file, lineNumber, line, Set.of(), new HashSet<>());
    }

    /**
     * Applies one record line, from the catalog or its log: an upsert by name or id, or a
     * {@code delete-volume} / {@code delete-snapshot}. Records of the volumes in {@code held} are
     * left alone (this process holds their locks, so its records are the newest and the volume
     * states that point at them stay valid). The layer of a snapshot whose contents change or that
     * goes away is added to {@code changedLayers}.
     */
    void apply(Path file, int lineNumber, String line, Set<String> held, Set<String> changedLayers) {
        if (line.isBlank()) {
            return;
        }
        String kind = line.substring(0, line.indexOf(' ') < 0 ? line.length() : line.indexOf(' '));
        try {
            Map<String, String> f = CatalogFormat.parse(line);
            switch (kind) {
                case "log" -> logGeneration = Long.parseLong(f.get("gen"));
                case "volume" -> {
                    VolumeRecord v = CatalogFormat.volume(f);
                    if (!held.contains(v.name)) {
                        builtOn.forget(volumes.put(v.name, v));
                        builtOn.file(v, v.base);
                    }
                }
                case "snapshot" -> {
                    SnapshotRecord s = CatalogFormat.snapshot(f);
                    SnapshotRecord before = snapshots.put(s.id, s);
                    builtOn.forget(before);
                    builtOn.file(s, s.base);
                    if (before != null && !layerKey(before).equals(layerKey(s))) {
                        changedLayers.add(before.layer);
                    }
                }
                case CatalogFormat.DELETE_VOLUME -> {
                    String name = Objects.requireNonNull(f.get("name"), "name");
                    if (!held.contains(name)) {
                        builtOn.forget(volumes.remove(name));
                    }
                }
                case CatalogFormat.DELETE_SNAPSHOT -> {
                    SnapshotRecord before = snapshots.remove(Objects.requireNonNull(f.get("id"), "id"));
                    builtOn.forget(before);
                    if (before != null) {
                        changedLayers.add(before.layer);
                    }
                }
                default -> throw StoreException.corrupt(file + ": line " + lineNumber + ": unknown record '" + kind + "'");
            }
        } catch (StoreException e) {
            throw e;
        } catch (RuntimeException e) {
            throw StoreException.corrupt(file + ": line " + lineNumber + ": malformed record (" + e + ")");
        }
    }

    /** What decides the contents of a snapshot's layer and the chain under it. */
    static String layerKey(SnapshotRecord s) {
        return s.layer + ' ' + s.base + ' ' + s.materialized;
    }

    // ---- changes not yet committed --------------------------------------------------------------

    /** Marks a volume record changed (every change to one is followed by this): the next commit writes it. */
    void touch(VolumeRecord v) {
        touchedVolumes.add(v);
        if (volumes.get(v.name) == v) {
            builtOn.file(v, v.base);
        }
    }

    /** Marks a snapshot record changed (every change to one is followed by this): the next commit writes it. */
    void touch(SnapshotRecord s) {
        touchedSnapshots.add(s);
        if (snapshots.get(s.id) == s) {
            builtOn.file(s, s.base);
        }
    }

    /** Adds (or replaces) a volume record; the next commit writes it. */
    void add(VolumeRecord v) {
        builtOn.forget(volumes.put(v.name, v));
        touch(v);
    }

    /** Adds (or replaces) a snapshot record; the next commit writes it. */
    void add(SnapshotRecord s) {
        builtOn.forget(snapshots.put(s.id, s));
        touch(s);
    }

    /** Takes back {@link #add(VolumeRecord)} of a record not committed (no deletion is recorded). */
    void discard(VolumeRecord v) {
        if (volumes.remove(v.name, v)) {
            builtOn.forget(v);
        }
    }

    /** Takes back {@link #add(SnapshotRecord)} of a record not committed (no deletion is recorded). */
    void discard(SnapshotRecord s) {
        if (snapshots.remove(s.id, s)) {
            builtOn.forget(s);
        }
    }

    /** Removes a volume record; the next commit records the deletion. */
    void removeVolume(String name) {
        builtOn.forget(volumes.remove(name));
        deletedVolumes.add(name);
    }

    /** Removes a snapshot record; the next commit records the deletion. */
    void removeSnapshot(String id) {
        builtOn.forget(snapshots.remove(id));
        deletedSnapshots.add(id);
    }

    /** How many snapshots and volumes name {@code snapshotId} as their base (build on it). O(1). */
    int builtOn(String snapshotId) {
        return builtOn.count(snapshotId);
    }

    /**
     * Calls {@code snapshot} with each snapshot and {@code volume} with each volume built on
     * {@code snapshotId} (naming it as their base). O(what is built on it).
     */
    void forEachBuiltOn(String snapshotId, Consumer<SnapshotRecord> snapshot, Consumer<VolumeRecord> volume) {
        builtOn.forEach(snapshotId, r -> {
            if (r instanceof SnapshotRecord s) {
                snapshot.accept(s);
            } else {
                volume.accept((VolumeRecord) r);
            }
        });
    }

    /** {@link #builtOn} for every snapshot built on, counted afresh from the records (O(records)): to check the kept counts. */
    Map<String, Integer> builtOnCounted() {
        Map<String, Integer> counts = new HashMap<>();
        Stream.concat(volumes.values().stream().map(v -> v.base), snapshots.values().stream().map(s -> s.base))
                .filter(Objects::nonNull).forEach(base -> counts.merge(base, 1, Integer::sum));
        return counts;
    }

    /** The kept counts behind {@link #builtOn} (a copy): equal to {@link #builtOnCounted} unless a change was not told. */
    Map<String, Integer> builtOnKept() {
        return builtOn.counts();
    }

    /**
     * The record lines of every change since the last commit: deletions first, then the touched
     * records still in the catalog (so a name deleted and created again ends up created). Empty
     * if nothing changed. O(changes).
     */
    String pendingLines() {
        StringBuilder out = new StringBuilder();
        for (String name : deletedVolumes) {
            out.append(CatalogFormat.DELETE_VOLUME).append(' ').append("name=").append(CatalogFormat.encode(name)).append('\n');
        }
        for (String id : deletedSnapshots) {
            out.append(CatalogFormat.DELETE_SNAPSHOT).append(' ').append("id=").append(CatalogFormat.encode(id)).append('\n');
        }
        for (VolumeRecord v : touchedVolumes) {
            if (volumes.get(v.name) == v) {
                out.append(CatalogFormat.line(v));
            }
        }
        for (SnapshotRecord s : touchedSnapshots) {
            if (snapshots.get(s.id) == s) {
                out.append(CatalogFormat.line(s));
            }
        }
        return out.toString();
    }

    /** The changes are committed (or the whole catalog was saved or reloaded). */
    void clearPending() {
        touchedVolumes.clear();
        touchedSnapshots.clear();
        deletedVolumes.clear();
        deletedSnapshots.clear();
    }

    /** Every record line, sorted (to compare two catalogs' contents whatever their order). */
    List<String> sortedLines() {
        List<String> lines = new ArrayList<>();
        volumes.values().forEach(v -> lines.add(CatalogFormat.line(v)));
        snapshots.values().forEach(s -> lines.add(CatalogFormat.line(s)));
        Collections.sort(lines);
        return lines;
    }

    String serialize() {
        StringBuilder out = new StringBuilder(HEADER).append('\n');
        out.append("log gen=").append(logGeneration).append('\n');
        for (VolumeRecord v : volumes.values()) {
            out.append(CatalogFormat.line(v));
        }
        for (SnapshotRecord s : snapshots.values()) {
            out.append(CatalogFormat.line(s));
        }
        return out.toString();
    }

    /**
     * Replays the catalog log ({@code catalog.<gen>.log}) from {@code from}: batches of record
     * lines, each closed by {@code commit <crc32c>}; in a chained log (format 3) the checksum
     * covers the previous batch's checksum and the batch, so a batch counts only right after the
     * one it was written after. A batch without an intact commit line (a torn append) is ignored,
     * and so is anything after it (even a stale batch a shorter later one left uncovered). Records
     * of a valid batch are applied in order (see {@link #apply(Path, int, String, Set, Set)} for
     * {@code held} and {@code changedLayers}). Returns where the valid batches end (where the next
     * batch goes), or {@code from} if the log does not exist.
     */
    LogEnd replayLog(Path log, LogEnd from, Set<String> held, Set<String> changedLayers) {
        byte[] bytes;
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size - from.offset() > Integer.MAX_VALUE - 8) {
                throw StoreException.corrupt(log + ": catalog log of " + size + " bytes is too large");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.max(0, size - from.offset()));
            while (buffer.hasRemaining() && channel.read(buffer, from.offset() + buffer.position()) >= 0) {
                // read the rest of the log
            }
            bytes = buffer.array();
        } catch (NoSuchFileException e) {
            return from;
        } catch (IOException e) {
            throw new BlockDeviceException.Io(log.toString(), "read", e);
        }
        int length = 0;
        while (length < bytes.length && bytes[length] != 0) {
            length++; // the log is followed by pre-written zeros
        }
        String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
        int start = 0;
        int chain = from.chain();
        int lineNumber = 1;
        while (true) {
            int commit = text.indexOf("commit ", start);
            int end = commit < 0 ? -1 : text.indexOf('\n', commit);
            if (end < 0) {
                break;
            }
            String batch = text.substring(start, commit);
            int crc = chainedLog ? CatalogFormat.chainCrc(chain, batch) : CatalogFormat.crc(batch);
            if (!String.format("%08x", crc).equals(text.substring(commit + 7, end).trim())) {
                break; // torn or damaged batch: it (and anything after it) never committed
            }
            for (String l : batch.split("\n")) {
                apply(log, lineNumber++, l, held, changedLayers);
            }
            chain = crc;
            start = end + 1;
        }
        return new LogEnd(from.offset() + text.substring(0, start).getBytes(StandardCharsets.UTF_8).length, chain);
    }

    /** The log generation a saved catalog file names (its second line), or -1 if there is no catalog yet. */
    static long savedGeneration(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = ByteBuffer.allocate(128);
            while (head.hasRemaining() && channel.read(head, head.position()) > 0) {
                // the header and the log line fit in 128 bytes
            }
            String text = new String(head.array(), 0, head.position(), StandardCharsets.UTF_8);
            int at = text.indexOf("\nlog gen=");
            int end = at < 0 ? -1 : text.indexOf('\n', at + 1);
            if (end < 0) {
                throw StoreException.corrupt(file + ": not an amiforge catalog (no 'log gen=' second line)");
            }
            return Long.parseLong(text.substring(at + 9, end).trim());
        } catch (NoSuchFileException e) {
            return -1;
        } catch (NumberFormatException e) {
            throw StoreException.corrupt(file + ": malformed 'log gen=' line (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new BlockDeviceException.Io(file.toString(), "read", e);
        }
    }

    /**
     * Takes over everything {@code fresh} (just read from disk) holds, keeping the record objects
     * of {@code kept} volumes: this process holds their locks, so its records of them are the
     * newest and the volume states that point at them stay valid.
     */
    void replaceWith(Catalog fresh, Set<String> kept) {
        Map<String, VolumeRecord> mine = new HashMap<>(volumes);
        logGeneration = fresh.logGeneration;
        volumes.clear();
        volumes.putAll(fresh.volumes);
        for (String name : kept) {
            VolumeRecord v = mine.get(name);
            if (v != null) {
                volumes.put(name, v);
            }
        }
        snapshots.clear();
        snapshots.putAll(fresh.snapshots);
        builtOn.clear();
        volumes.values().forEach(v -> builtOn.file(v, v.base));
        snapshots.values().forEach(s -> builtOn.file(s, s.base));
    }

    /**
     * The catalog format upgrade to owners: gives every record without an owner (written before
     * owners existed) the default account, or for a snapshot the account its {@code owner}
     * attribute names (as the cloud recorded it then). Returns true if one changed; the caller commits.
     */
    boolean assignDefaultOwner() {
        boolean changed = false;
        for (VolumeRecord v : volumes.values()) {
            if (v.owner == null) {
                v.owner = AccountId.DEFAULT.value();
                changed = true;
            }
        }
        for (SnapshotRecord s : snapshots.values()) {
            if (s.owner == null) {
                // the cloud used to record an image snapshot's account as the attribute "owner"
                String recorded = s.attributes.remove("owner");
                s.owner = AccountId.isValid(recorded) ? recorded : AccountId.DEFAULT.value();
                changed = true;
            }
        }
        return changed;
    }

    // ---- lookups ------------------------------------------------------------------------------

    VolumeRecord volume(String name) {
        VolumeRecord v = volumes.get(name);
        if (v == null) {
            throw StoreException.volumeNotFound(name);
        }
        return v;
    }

    SnapshotRecord snapshot(String id) {
        SnapshotRecord s = id == null ? null : snapshots.get(id);
        if (s == null) {
            throw StoreException.snapshotNotFound(id);
        }
        return s;
    }

    /** The volume whose id is {@code volumeId}, or null (it was deleted, or the snapshot was imported). */
    VolumeRecord volumeById(String volumeId) {
        for (VolumeRecord v : volumes.values()) {
            if (v.id.equals(volumeId)) {
                return v;
            }
        }
        return null;
    }

    /** The copy-on-write snapshot of volume {@code volumeId} that owns generation {@code gen}, or null. */
    SnapshotRecord cowSnapshotOf(String volumeId, int gen) {
        for (SnapshotRecord s : snapshots.values()) {
            if (s.gen == gen && "cow".equals(s.mode) && volumeId.equals(s.volumeId)) {
                return s;
            }
        }
        return null;
    }

    /** Fails with {@code CorruptData} if a record names a parent snapshot the catalog lacks. */
    void validate(Path dir) {
        for (SnapshotRecord s : snapshots.values()) {
            for (String ref : new String[] {s.parent, s.base}) {
                if (ref != null && !snapshots.containsKey(ref)) {
                    throw StoreException.corrupt("store " + dir + ": snapshot " + s.id + " names parent " + ref
                            + ", which is missing from the catalog");
                }
            }
        }
        for (VolumeRecord v : volumes.values()) {
            for (String ref : new String[] {v.parent, v.base}) {
                if (ref != null && !snapshots.containsKey(ref)) {
                    throw StoreException.corrupt("store " + dir + ": volume " + v.name + " names parent snapshot " + ref
                            + ", which is missing from the catalog");
                }
            }
        }
    }

    /** {@code prefix} + 17 lowercase hex digits (68 random bits), as EC2 ids look. */
    static String newId(String prefix) {
        SplittableRandom ids = IDS.get();
        long a = ids.nextLong();
        int b = ids.nextInt(16);
        char[] out = new char[prefix.length() + 17];
        prefix.getChars(0, prefix.length(), out, 0);
        for (int i = 0; i < 16; i++) {
            out[prefix.length() + i] = HEX[(int) (a >>> (60 - 4 * i)) & 15];
        }
        out[out.length - 1] = HEX[b];
        return new String(out);
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();
    /** Seeded from SecureRandom per thread; ids need uniqueness (across processes too), not secrecy, and must be cheap. */
    private static final ThreadLocal<SplittableRandom> IDS =
            ThreadLocal.withInitial(() -> new SplittableRandom(new SecureRandom().nextLong()));

    /** Commits the catalog atomically (write new, fsync, rename, fsync dir); returns bytes written. */
    int save(Path file) {
        return save(FileOps.REAL, file, true);
    }

    /**
     * Commits the catalog atomically. {@code durable} false skips the fsyncs: the rename is still
     * atomic and survives the process dying (it is in the page cache), but not a power loss until
     * a later durable save.
     */
    int save(FileOps io, Path file, boolean durable) {
        int bytes = commit(io, file, durable);
        if (durable) {
            fsyncDirectory(io, file.getParent());
        }
        return bytes;
    }

    /**
     * Writes the catalog to a temporary file, fsyncs it if {@code durable}, and renames it over
     * {@code file}: the rename is the commit point. A failure before it leaves {@code file} as it
     * was (and removes the temporary file); the directory is not fsynced (see {@link #save}).
     */
    int commit(FileOps io, Path file, boolean durable) {
        String body = serialize();
        byte[] bytes = (body + "crc " + CatalogFormat.crcOf(body) + "\n").getBytes(StandardCharsets.UTF_8);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            io.before(FileOps.Op.CREATE, tmp);
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                io.before(FileOps.Op.WRITE, tmp);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                if (durable) {
                    io.before(FileOps.Op.FSYNC, tmp);
                    out.force(true);
                }
            }
            io.before(FileOps.Op.RENAME, file);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new BlockDeviceException.Io(file.toString(), "commit", e);
        }
        return bytes.length;
    }

    /** fsyncs a directory so a rename or a new file in it is durable. */
    static void fsyncDirectory(Path dir) {
        fsyncDirectory(FileOps.REAL, dir);
    }

    /** Removes a temporary file a failed commit left (a full disk gets its space back); errors are moot. */
    static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // the next commit truncates and reuses it
        }
    }

    /** fsyncs a directory so a rename or a new file in it is durable, reporting it to {@code io} first. */
    static void fsyncDirectory(FileOps io, Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            io.before(FileOps.Op.FSYNC, dir);
            channel.force(true);
        } catch (IOException e) {
            throw new BlockDeviceException.Io(dir.toString(), "fsync of directory", e);
        }
    }
}
