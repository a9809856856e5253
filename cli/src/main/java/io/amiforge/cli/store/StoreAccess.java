package io.amiforge.cli.store;

import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.cli.common.Shutdown;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Region;
import io.amiforge.cloud.shape.ReservationShape;
import io.amiforge.cloud.shape.SnapshotShape;
import io.amiforge.cloud.shape.VolumeShape;
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
import java.util.List;
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

    /**
     * {@code v} in EC2's {@code Volume} shape (DescribeVolumes), shown in the region's first zone:
     * the store keeps no zone per volume.
     */
    public static VolumeShape shape(GlobalOptions global, VolumeInfo v) {
        return VolumeShape.of(v, Region.named(global.region()).zone(null));
    }

    /**
     * {@code snapshots} in EC2's {@code Snapshot} shape (DescribeSnapshots), each with the id of
     * the volume it was taken from when {@code store}'s account has that volume.
     */
    public static List<SnapshotShape> shapes(TenantStore store, List<SnapshotInfo> snapshots) {
        Map<String, String> volumeIds = ReservationShape.volumeIds(store);
        return snapshots.stream().map(s -> SnapshotShape.of(s, volumeIds, false)).toList();
    }

    /** A volume's counters, with what its strategies report under {@code StrategyCounters}. */
    public static Map<String, Object> json(VolumeStats stats) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("DataBytesWritten", stats.dataBytesWritten());
        m.put("MetadataBytesWritten", stats.metadataBytesWritten());
        m.put("BlocksCopied", stats.blocksCopied());
        m.put("BlocksRead", stats.blocksRead());
        m.put("LayersVisited", stats.layersVisited());
        m.put("StrategyCounters", stats.strategyCounters());
        return m;
    }

    /** A strategy provider: name, kind, description and origin ("built-in" or its jar). */
    public static Map<String, Object> json(StrategyProvider p) {
        return provider(p.name(), p.kind().label(), p.description(), Strategies.origin(p));
    }

    /** One row of {@code store strategies}. */
    static Map<String, Object> provider(String name, String kind, String description, String origin) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Name", name);
        m.put("Kind", kind);
        m.put("Description", description);
        m.put("Origin", origin);
        return m;
    }
}
