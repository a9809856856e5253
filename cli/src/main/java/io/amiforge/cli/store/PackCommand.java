package io.amiforge.cli.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.Json;
import io.amiforge.cloud.Ids;
import io.amiforge.store.PackReport;
import io.amiforge.store.SnapshotInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge store pack SNAPSHOT}: packs the small layers of one of the account's
 * snapshots' chain into one block-ordered file ({@code SnapshotStore.pack}), so that reads
 * through a deep chain read one file, mostly in order. Contents do not change.
 */
@Command(name = "pack", description = {"Pack the small layers of a snapshot's chain into one file laid out in block order"
        + " (contents unchanged; deep chains then read like shallow ones).",
        "Example: amiforge store pack snap-0123456789abcdef0"})
public final class PackCommand extends CommandBase {

    @Parameters(index = "0", paramLabel = "SNAPSHOT", description = {"One of your snapshots: its chain is packed.",
        "Example: snap-0123456789abcdef0"})
    String id;

    @Override
    protected int execute() {
        Ids.require(Ids.Resource.SNAPSHOT, id);
        try (StoreAccess.Session session = StoreAccess.open(global())) {
            if (session.isRemote()) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "store pack works on a local store; snapshots on an object store are already packed per layer");
            }
            SnapshotInfo s = session.store().snapshot(id); // NotFound for what the account cannot see
            if (!s.ownerId().equals(session.store().account().value())) {
                throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "InvalidSnapshot.NotFound",
                        "snapshot " + id + " is not yours: only its owner may pack its chain");
            }
            long t0 = System.nanoTime();
            PackReport r = session.raw().pack(id);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            print(Json.object("SnapshotId", id, "LayersPacked", r.layers(), "BlocksPacked", r.blocks(), "Bytes", r.bytes(),
                    "Milliseconds", ms),
                    r.layers() == 0 ? "nothing to pack in the chain of " + id + " (fewer than two unpacked small layers)"
                            : "packed %d layers (%d blocks, %d MiB) of the chain of %s in %d ms".formatted(r.layers(), r.blocks(),
                                    r.bytes() >> 20, id, ms));
            return 0;
        }
    }
}
