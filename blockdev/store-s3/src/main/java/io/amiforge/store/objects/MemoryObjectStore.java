package io.amiforge.store.objects;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The {@link ObjectStore} contract in memory, for tests and for trying the remote tier without a
 * gateway. Thread-safe: every request runs under one lock, so {@link #putIfAbsent} is atomic and
 * an object is visible whole or not at all.
 *
 * <p>Fault hook: {@link #failRequests} makes requests fail after a number of good ones, either
 * cleanly ({@link Fault#FAIL}: nothing happens, {@code ObjectStoreUnavailable} is thrown) or
 * half way ({@link Fault#PARTIAL}: a {@link #putFile} leaves an unfinished multipart upload that
 * only {@link #abortStaleUploads} removes; a {@link #put} or {@link #putIfAbsent} is applied but
 * its answer is lost, as when a connection drops after the gateway stored the object).
 * {@link #requests} counts every request, {@link #corrupt} flips a stored byte.
 */
public final class MemoryObjectStore implements ObjectStore {

    /** How an injected failure behaves. */
    public enum Fault {
        /** The request does nothing and throws. */
        FAIL,
        /** The request is half done (see the class comment), then throws. */
        PARTIAL
    }

    private record Stored(byte[] body, String etag, long lastModified) {
    }

    private final TreeMap<String, Stored> objects = new TreeMap<>();
    /** Unfinished multipart uploads: key to start time. */
    private final List<Map.Entry<String, Long>> uploads = new ArrayList<>();
    private final LongSupplier clock;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong etags = new AtomicLong();
    private long goodBeforeFault = -1;
    private int faults;
    private Fault faultMode = Fault.FAIL;
    private boolean closed;

    /** An empty store on the system clock. */
    public MemoryObjectStore() {
        this(System::currentTimeMillis);
    }

    /** An empty store whose objects and uploads are timed by {@code clock} (milliseconds). */
    public MemoryObjectStore(LongSupplier clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Lets {@code good} more requests succeed, then fails the {@code count} after them as
     * {@code mode} says; later requests succeed again.
     */
    public synchronized void failRequests(long good, int count, Fault mode) {
        if (good < 0 || count < 0) {
            throw new IllegalArgumentException("good " + good + " and count " + count + " must not be negative");
        }
        this.goodBeforeFault = good;
        this.faults = count;
        this.faultMode = Objects.requireNonNull(mode, "mode");
    }

    /** Requests served or failed since the store was made. */
    public long requests() {
        return requests.get();
    }

    /** Flips every bit of the byte at {@code offset} of {@code key} (damage for tests of verify). */
    public synchronized void corrupt(String key, long offset) {
        Stored s = objects.get(key);
        if (s == null || offset < 0 || offset >= s.body.length) {
            throw new IllegalArgumentException("memory: no byte " + offset + " in object '" + key + "'");
        }
        s.body[(int) offset] ^= (byte) 0xFF;
    }

    /** Unfinished multipart uploads (interrupted {@link #putFile} calls not yet aborted). */
    public synchronized int pendingUploads() {
        return uploads.size();
    }

    /** Counts the request and returns the fault to apply to it, or null to serve it normally. */
    private Fault admit() {
        if (closed) {
            throw new IllegalStateException(describe() + ": closed");
        }
        requests.incrementAndGet();
        if (goodBeforeFault < 0) {
            return null;
        }
        if (goodBeforeFault > 0) {
            goodBeforeFault--;
            return null;
        }
        if (faults == 0) {
            goodBeforeFault = -1;
            return null;
        }
        faults--;
        return faultMode;
    }

    private ObjectStoreException injected(String what) {
        return ObjectStoreException.unavailable(describe(), what, new IOException("injected fault"));
    }

    private Stored stored(byte[] body) {
        return new Stored(body, "\"" + Long.toHexString(etags.incrementAndGet()) + "\"", clock.getAsLong());
    }

    @Override
    public synchronized boolean putIfAbsent(String key, byte[] body) {
        Fault fault = admit();
        if (fault == Fault.FAIL) {
            throw injected("put-if-absent " + key);
        }
        boolean created = !objects.containsKey(key);
        if (created) {
            objects.put(key, stored(body.clone()));
        }
        if (fault == Fault.PARTIAL) {
            throw injected("put-if-absent " + key);
        }
        return created;
    }

    @Override
    public synchronized void put(String key, byte[] body) {
        Fault fault = admit();
        if (fault == Fault.FAIL) {
            throw injected("put " + key);
        }
        objects.put(key, stored(body.clone()));
        if (fault == Fault.PARTIAL) {
            throw injected("put " + key);
        }
    }

    @Override
    public void putFile(String key, Path file, long offset, long length) {
        if (length > Integer.MAX_VALUE - 8) {
            throw ObjectStoreException.error(describe(), "upload of " + key, new IOException(length + " bytes is too large for memory"));
        }
        byte[] body = new byte[(int) length];
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.wrap(body);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, offset + buffer.position()) < 0) {
                    throw new IOException(file + " ends at byte " + (offset + buffer.position()) + ", before "
                            + (offset + length));
                }
            }
        } catch (IOException e) {
            throw ObjectStoreException.error(describe(), "upload of " + key + " from " + file, e);
        }
        synchronized (this) {
            Fault fault = admit();
            if (fault == Fault.PARTIAL) {
                uploads.add(Map.entry(key, clock.getAsLong()));
            }
            if (fault != null) {
                throw injected("upload " + key);
            }
            objects.put(key, stored(body));
        }
    }

    @Override
    public synchronized byte[] get(String key) {
        if (admit() != null) {
            throw injected("get " + key);
        }
        Stored s = objects.get(key);
        if (s == null) {
            throw ObjectStoreException.notFound(describe(), key);
        }
        return s.body.clone();
    }

    @Override
    public synchronized void read(String key, long offset, ByteBuffer dst) {
        if (admit() != null) {
            throw injected("read of " + dst.remaining() + " bytes at " + offset + " of " + key);
        }
        Stored s = objects.get(key);
        if (s == null) {
            throw ObjectStoreException.notFound(describe(), key);
        }
        if (offset < 0 || offset > s.body.length - (long) dst.remaining()) {
            throw new ObjectStoreException(AmiforgeException.Kind.NOT_FOUND, "ObjectNotFound", describe() + ": object '" + key
                    + "' has " + s.body.length + " bytes; no range of " + dst.remaining() + " at " + offset, null);
        }
        dst.put(s.body, (int) offset, dst.remaining());
    }

    @Override
    public synchronized ObjectInfo head(String key) {
        if (admit() != null) {
            throw injected("head " + key);
        }
        Stored s = objects.get(key);
        return s == null ? null : new ObjectInfo(key, s.body.length, s.etag, s.lastModified);
    }

    @Override
    public synchronized List<ObjectInfo> list(String prefix) {
        if (admit() != null) {
            throw injected("list " + prefix);
        }
        List<ObjectInfo> out = new ArrayList<>();
        for (Map.Entry<String, Stored> e : objects.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            out.add(new ObjectInfo(e.getKey(), e.getValue().body.length, e.getValue().etag, e.getValue().lastModified));
        }
        return out;
    }

    @Override
    public synchronized void delete(String key) {
        if (admit() != null) {
            throw injected("delete " + key);
        }
        objects.remove(key);
    }

    @Override
    public synchronized int abortStaleUploads(String prefix, long olderThanMillis) {
        if (admit() != null) {
            throw injected("abort uploads under " + prefix);
        }
        long now = clock.getAsLong();
        int aborted = 0;
        for (Iterator<Map.Entry<String, Long>> it = uploads.iterator(); it.hasNext();) {
            Map.Entry<String, Long> u = it.next();
            if (u.getKey().startsWith(prefix) && now - u.getValue() > olderThanMillis) {
                it.remove();
                aborted++;
            }
        }
        return aborted;
    }

    @Override
    public String describe() {
        return "memory:";
    }

    @Override
    public synchronized void close() {
        closed = true;
    }
}
