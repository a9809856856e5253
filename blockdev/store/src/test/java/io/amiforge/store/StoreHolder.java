package io.amiforge.store;

import java.nio.file.Path;

/** A child JVM that opens a store and keeps it open until killed (for the lock test). */
public final class StoreHolder {

    private StoreHolder() {
    }

    public static void main(String[] args) throws Exception {
        try (SnapshotStore _ = SnapshotStore.open(Path.of(args[0]))) {
            System.out.println("holding");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}
