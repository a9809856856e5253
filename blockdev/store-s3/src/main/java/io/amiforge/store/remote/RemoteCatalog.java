package io.amiforge.store.remote;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDeviceException;
import io.amiforge.store.objects.ObjectInfo;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStoreException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.zip.CRC32C;

/**
 * The catalogue on the object store: one small immutable manifest per commit,
 * {@code catalog/<20-digit sequence number>}, created with {@link ObjectStore#putIfAbsent}, and
 * every {@code checkpointEvery} commits a checkpoint {@code checkpoint/<seq>} holding every record
 * as of that commit. The state is the newest checkpoint plus the manifests after it, in order.
 *
 * <p>A commit re-reads the manifests it has not seen, computes its change against that state
 * and tries to create the next sequence number; of two hosts that try one number exactly one
 * wins, and the other re-reads (now seeing the winner's commit), checks its change again and
 * tries the number after. So no commit is lost or applied against a state it did not see. A
 * commit whose answer was lost (the connection dropped after the gateway stored it) is
 * recognised by reading the manifest back: it carries a random nonce. Manifests are never
 * deleted: a stale handle must never be able to re-create a sequence number.
 *
 * <pre>
 * amiforge-remote-catalog 1
 * seq N
 * nonce HEX
 * put FIELDS           (a snapshot record, new or replacing the one of its id)
 * delete ID
 * crc HEX              (CRC32C of every byte before this line)
 * </pre>
 *
 * Thread-safe (one handle's commits are serialised).
 */
final class RemoteCatalog {

    static final String MANIFESTS = "catalog/";
    static final String CHECKPOINTS = "checkpoint/";
    private static final String MAGIC = "amiforge-remote-catalog 1";
    private static final int MAX_ATTEMPTS = 100_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One change of a commit: a record put, or a deletion by id ({@code record} null). */
    record Op(String id, RemoteSnapshot record) {
        static Op put(RemoteSnapshot r) {
            return new Op(r.id(), r);
        }

        static Op delete(String id) {
            return new Op(id, null);
        }
    }

    private final ObjectStore objects;
    private final int checkpointEvery;
    private final LinkedHashMap<String, RemoteSnapshot> records = new LinkedHashMap<>();
    private long seq;
    private long attempts;

    RemoteCatalog(ObjectStore objects, int checkpointEvery) {
        if (checkpointEvery < 1) {
            throw new IllegalArgumentException("checkpoint interval " + checkpointEvery + " must be at least 1");
        }
        this.objects = objects;
        this.checkpointEvery = checkpointEvery;
        loadCheckpoint();
        refresh();
    }

    static String manifestKey(long n) {
        return MANIFESTS + String.format("%020d", n);
    }

    static String checkpointKey(long n) {
        return CHECKPOINTS + String.format("%020d", n);
    }

    /** The newest readable checkpoint, if any (a damaged one is passed over for the one before it). */
    private void loadCheckpoint() {
        List<ObjectInfo> all = objects.list(CHECKPOINTS);
        for (int i = all.size() - 1; i >= 0; i--) {
            String key = all.get(i).key();
            long n;
            try {
                n = Long.parseLong(key.substring(CHECKPOINTS.length()));
            } catch (NumberFormatException e) {
                continue; // not ours
            }
            try {
                Parsed p = parse(objects.get(key), key);
                if (p.seq != n) {
                    continue; // not the checkpoint its name says
                }
                records.clear();
                for (Op op : p.ops) {
                    records.put(op.id, op.record);
                }
                seq = n;
                return;
            } catch (BlockDeviceException.Corrupt e) {
                records.clear(); // fall back to an older checkpoint (manifests are all kept)
            }
        }
    }

    /** Reads the manifests committed since this handle last looked. */
    synchronized void refresh() {
        while (true) {
            String key = manifestKey(seq + 1);
            byte[] body;
            try {
                body = objects.get(key);
            } catch (ObjectStoreException e) {
                if (e.kind() == AmiforgeException.Kind.NOT_FOUND) {
                    return;
                }
                throw e;
            }
            Parsed p = parse(body, key);
            if (p.seq != seq + 1) {
                throw new BlockDeviceException.Corrupt("catalog object " + key + ": says it is commit " + p.seq + ", expected " + (seq + 1));
            }
            apply(p.ops);
            seq++;
        }
    }

    /** The sequence number of the newest commit this handle has read. */
    synchronized long seq() {
        return seq;
    }

    /** Commit attempts (won or lost) made through this handle. */
    synchronized long attempts() {
        return attempts;
    }

    /** The records as of the newest commit read, parents before children (a copy). */
    synchronized Map<String, RemoteSnapshot> snapshot() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(records));
    }

    /**
     * Commits the changes {@code change} computes from the current records (it may throw to
     * refuse); re-reads and recomputes as often as other hosts win the race. Returns the records
     * as of the commit (unchanged when {@code change} returns no op).
     */
    synchronized Map<String, RemoteSnapshot> commit(Function<Map<String, RemoteSnapshot>, List<Op>> change) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            refresh();
            List<Op> ops = change.apply(Collections.unmodifiableMap(records));
            if (ops.isEmpty()) {
                return snapshot();
            }
            long n = seq + 1;
            String key = manifestKey(n);
            byte[] body = encode(n, ops, true);
            attempts++;
            if (create(key, body)) {
                apply(ops);
                seq = n;
                if (n % checkpointEvery == 0) {
                    checkpoint(n);
                }
                return snapshot();
            }
        }
        throw new BlockDeviceException(objects.describe() + ": gave up committing after " + MAX_ATTEMPTS + " lost races");
    }

    /** putIfAbsent; when its answer is lost, reads the key back to learn whether this body is the one stored. */
    private boolean create(String key, byte[] body) {
        try {
            return objects.putIfAbsent(key, body);
        } catch (ObjectStoreException e) {
            if (e.kind() == AmiforgeException.Kind.NOT_FOUND) {
                throw e;
            }
            byte[] there;
            try {
                there = objects.get(key);
            } catch (ObjectStoreException again) {
                e.addSuppressed(again);
                throw e; // not stored (or still unreachable): the commit did not happen
            }
            if (Arrays.equals(there, body)) {
                return true;
            }
            return false; // another host's commit has this number
        }
    }

    private void checkpoint(long n) {
        List<Op> all = new ArrayList<>();
        for (RemoteSnapshot r : records.values()) {
            all.add(Op.put(r));
        }
        try {
            objects.put(checkpointKey(n), encode(n, all, false));
        } catch (ObjectStoreException e) {
            // the commit stands; readers replay the manifests from the previous checkpoint instead
        }
    }

    private void apply(List<Op> ops) {
        for (Op op : ops) {
            if (op.record == null) {
                records.remove(op.id);
            } else {
                records.put(op.id, op.record);
            }
        }
    }

    private static byte[] encode(long n, List<Op> ops, boolean nonce) {
        StringBuilder b = new StringBuilder(MAGIC).append('\n').append("seq ").append(n).append('\n');
        if (nonce) {
            byte[] r = new byte[16];
            RANDOM.nextBytes(r);
            b.append("nonce ").append(HexFormat.of().formatHex(r)).append('\n');
        }
        for (Op op : ops) {
            if (op.record == null) {
                b.append("delete ").append(op.id).append('\n');
            } else {
                b.append("put ").append(op.record.encode()).append('\n');
            }
        }
        byte[] text = b.toString().getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(text);
        return (b + "crc " + Integer.toHexString((int) crc.getValue()) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private record Parsed(long seq, List<Op> ops) {
    }

    private static Parsed parse(byte[] body, String key) {
        String text = new String(body, StandardCharsets.UTF_8);
        int last = text.lastIndexOf("crc ");
        if (!text.startsWith(MAGIC + "\n") || last < 0 || !text.endsWith("\n")) {
            throw new BlockDeviceException.Corrupt("catalog object " + key + ": not a catalog manifest (header or crc line missing)");
        }
        CRC32C crc = new CRC32C();
        crc.update(body, 0, text.substring(0, last).getBytes(StandardCharsets.UTF_8).length);
        String stored = text.substring(last + 4, text.length() - 1);
        if (!stored.equals(Integer.toHexString((int) crc.getValue()))) {
            throw new BlockDeviceException.Corrupt("catalog object " + key + ": checksum mismatch (stored " + stored + ", content has "
                    + Integer.toHexString((int) crc.getValue()) + ")");
        }
        String[] lines = text.substring(0, last).split("\n");
        long n = -1;
        List<Op> ops = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            String where = "catalog object " + key + " line " + (i + 1);
            if (line.startsWith("seq ")) {
                n = Long.parseLong(line.substring(4));
            } else if (line.startsWith("put ")) {
                RemoteSnapshot r = RemoteSnapshot.decode(line.substring(4), where);
                ops.add(Op.put(r));
            } else if (line.startsWith("delete ")) {
                ops.add(Op.delete(line.substring(7)));
            } else if (!line.startsWith("nonce ")) {
                throw new BlockDeviceException.Corrupt(where + ": unknown line '" + line + "'");
            }
        }
        return new Parsed(n, ops);
    }
}
