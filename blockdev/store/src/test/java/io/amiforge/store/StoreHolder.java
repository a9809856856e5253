package io.amiforge.store;

import java.nio.file.Path;

/** A child JVM that opens a store and keeps its volume "disk" open for writing until killed (for the lock tests). */
public final class StoreHolder {

    private StoreHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (SnapshotStore store = SnapshotStore.open(Path.of(args[0]));
                Volume _ = store.listVolumes().stream().anyMatch(v -> v.name().equals("disk"))
                        ? store.openVolume("disk") : store.createVolume("disk", 1 << 16, VolumeOptions.defaults())) {
            System.out.println("holding");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}
