package io.amiforge.cli.store;

import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.cli.common.Shutdown;
import io.amiforge.cloud.Cloud;
import io.amiforge.store.AccountId;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.TenantStore;
import io.amiforge.store.VolumeInfo;
import io.amiforge.store.VolumeStats;
import io.amiforge.store.objects.ObjectStore;
import io.amiforge.store.objects.ObjectStores;
import io.amiforge.store.remote.RemoteOptions;
import io.amiforge.store.remote.RemoteSnapshotStore;
import io.amiforge.store.remote.RemoteTenant;
import io.amiforge.store.spi.Strategies;
import io.amiforge.store.spi.StrategyProvider;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opens a region's snapshot store where the cloud keeps it ({@link Cloud#storeDir}), with the
 * object store of {@code --store URL} over it when one is named, and gives the JSON shapes of
 * volumes and snapshots.
 */
public final class StoreAccess {

    private StoreAccess() {
    }

    /** The snapshot-store directory of the global options' region. */
    public static Path storeDir(GlobalOptions global) {
        return storeDir(global.store(), global.region());
    }

    public static Path storeDir(Path store, String region) {
        return Cloud.storeDir(store, region);
    }

    /**
     * The region's snapshot store, open, and the view of it the acting account (--account) has:
     * every tenant request goes through {@link #store()}; {@link #raw()} is for the few reads the
     * CLI does on the account's behalf after the view has checked ownership. Closing closes the store.
     */
    public record Session(SnapshotStore raw, TenantStore store, Remote remote) implements AutoCloseable {

        /** Whether snapshots live on an object store ({@code --store URL}): then {@link #remote()} is not null. */
        public boolean isRemote() {
            return remote != null;
        }

        @Override
        public void close() {
            try {
                if (remote != null) {
                    remote.close();
                }
            } finally {
                raw.close();
            }
        }
    }

    /**
     * A store on an object store (the snapshots of --store URL over this host's local store, or
     * the URL a store command names) and the object store under it, closed together:
     * {@link #tenant()} is the acting account's view of it.
     */
    public record Remote(ObjectStore objects, RemoteSnapshotStore store, RemoteTenant tenant) implements AutoCloseable {
        @Override
        public void close() {
            try {
                store.close();
            } finally {
                objects.close();
            }
        }
    }

    /** Opens the region's snapshot store (creating it if absent) as the acting account; the caller closes it
     * (or the shutdown hook does, on SIGTERM). */
    public static Session open(GlobalOptions global) {
        AccountId account = AccountId.of(global.account());
        SnapshotStore store = Shutdown.closeOnExit(SnapshotStore.open(storeDir(global)));
        Remote remote = null;
        if (global.remoteStore().isPresent()) {
            String url = global.remoteStore().get();
            ObjectStore objects = ObjectStores.open(url, System.getenv());
            try {
                RemoteSnapshotStore tier = RemoteSnapshotStore.over(objects, store, global.store().resolve("object-store-cache"),
                        RemoteOptions.defaults());
                remote = Shutdown.closeOnExit(new Remote(objects, tier, tier.as(account)));
            } catch (RuntimeException e) {
                objects.close();
                store.close();
                throw e;
            }
        }
        return new Session(store, store.as(account), remote);
    }

    public static Map<String, Object> json(VolumeInfo v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("volumeId", v.id());
        m.put("size", v.size());
        m.put("blockSize", v.blockSize());
        m.put("writeStrategy", v.writeStrategy());
        m.put("readIndex", v.readIndex());
        m.put("snapshotId", v.parentSnapshotId());
        m.put("createTime", v.createdAt().toString());
        m.put("ownerId", v.ownerId());
        m.put("attachedTo", v.attachedTo());
        return m;
    }

    /** A volume's counters, with what its strategies report under {@code strategyCounters}. */
    public static Map<String, Object> json(VolumeStats stats) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataBytesWritten", stats.dataBytesWritten());
        m.put("metadataBytesWritten", stats.metadataBytesWritten());
        m.put("blocksCopied", stats.blocksCopied());
        m.put("blocksRead", stats.blocksRead());
        m.put("layersVisited", stats.layersVisited());
        m.put("strategyCounters", stats.strategyCounters());
        return m;
    }

    /** A strategy provider: name, kind, description and origin ("built-in" or its jar). */
    public static Map<String, Object> json(StrategyProvider p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", p.name());
        m.put("kind", p.kind().label());
        m.put("description", p.description());
        m.put("origin", Strategies.origin(p));
        return m;
    }

    public static Map<String, Object> json(SnapshotInfo s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("snapshotId", s.id());
        m.put("volumeName", s.volumeName());
        m.put("parentId", s.parentId());
        m.put("volumeSize", s.size());
        m.put("blockSize", s.blockSize());
        m.put("description", s.description());
        m.put("startTime", s.createdAt().toString());
        m.put("blockCount", s.blockCount());
        m.put("attributes", s.attributes());
        m.put("ownerId", s.ownerId());
        m.put("createVolumePermission", s.createVolumePermission());
        return m;
    }
}
