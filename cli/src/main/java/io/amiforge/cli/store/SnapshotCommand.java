package io.amiforge.cli.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.cloud.CloudFactory;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.Json;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.cloud.shape.SnapshotShape;
import io.amiforge.store.ChangedBlocks;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code amiforge snapshot ...}: immutable, incremental snapshots of volumes. */
@Command(name = "snapshot", description = {"Create, list, delete and compare snapshots.",
        "With --store s3://BUCKET/PREFIX they live on the object store (create uploads, list reads its catalogue)."}, mixinStandardHelpOptions = true,
        subcommands = {SnapshotCommand.Create.class, SnapshotCommand.ListSnapshots.class, SnapshotCommand.Delete.class,
                SnapshotCommand.Diff.class, SnapshotCommand.Permission.class})
public final class SnapshotCommand {

    @Command(name = "create", description = {"Snapshot a volume (O(1): nothing is copied).",
            "Example: amiforge snapshot create web-root --description nightly"})
    public static final class Create extends CommandBase {
        @Parameters(index = "0", paramLabel = "VOLUME", description = {"The volume to snapshot.", "Example: web-root"}) String volume;
        @Option(names = "--description", paramLabel = "S", defaultValue = "", description = {"Free text stored with the snapshot.",
                "Example: --description nightly"}) String description;

        @Override
        protected int execute() {
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                SnapshotInfo s = session.isRemote() ? session.remote().tenant().createSnapshot(volume, description)
                        : session.store().createSnapshot(volume, description);
                print(StoreAccess.shapes(session.store(), List.of(s)).getFirst(), s.id());
            }
            return 0;
        }
    }

    @Command(name = "list", description = {"List the snapshots the account owns or may use ({\"Snapshots\":[...]} with --json,"
            + " as EC2 DescribeSnapshots).", "Example: amiforge snapshot list snap-0123456789abcdef0 --json"})
    public static final class ListSnapshots extends CommandBase {
        @Parameters(arity = "0..*", paramLabel = "SNAPSHOT", description = {"Only these snapshots (a missing one is an error).",
                "Example: snap-0123456789abcdef0"}) List<String> ids;

        @Override
        protected int execute() {
            List<String> wanted = ids == null ? List.of() : ids;
            wanted.forEach(id -> Ids.require(Ids.Resource.SNAPSHOT, id));
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                String viewer = session.store().account().value();
                List<SnapshotInfo> all = session.isRemote() ? session.remote().tenant().listSnapshots()
                        : session.store().listSnapshots();
                for (String id : wanted) {
                    if (all.stream().noneMatch(s -> s.id().equals(id))) {
                        throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "InvalidSnapshot.NotFound",
                                "The snapshot '" + id + "' does not exist.");
                    }
                }
                List<SnapshotInfo> snapshots = wanted.isEmpty() ? all : all.stream().filter(s -> wanted.contains(s.id())).toList();
                StringBuilder text = new StringBuilder();
                for (SnapshotInfo s : snapshots) {
                    text.append("%s\t%s\t%s\t%d blocks\t%s\t%s%n".formatted(s.id(), s.volumeName(),
                            s.parentId() == null ? "-" : s.parentId(), s.blockCount(), sharing(s, viewer), s.description()));
                }
                print(Map.of("Snapshots", StoreAccess.shapes(session.store(), snapshots)), text.toString());
            }
            return 0;
        }
    }

    /** How a listed snapshot is shared, as its viewer may know it: the owner sees with whom. */
    private static String sharing(SnapshotInfo s, String viewer) {
        if (!s.ownerId().equals(viewer)) {
            return "shared by " + s.ownerId();
        }
        return s.createVolumePermission().isEmpty() ? "private" : "shared with " + String.join(",", s.createVolumePermission());
    }

    @Command(name = "permission", description = {"Share a snapshot: who besides its owner may create volumes (and register AMIs) from it.",
            "Example: amiforge snapshot permission snap-0123456789abcdef0 --add 444455556666"})
    public static final class Permission extends CommandBase {
        @Parameters(index = "0", paramLabel = "SNAPSHOT", description = {"The snapshot to share.", "Example: snap-0123456789abcdef0"}) String id;
        @Option(names = "--add", paramLabel = "ID|all", description = {"Grant an account (12 digits) or everyone.", "Example: --add all"}) List<String> add;
        @Option(names = "--remove", paramLabel = "ID|all", description = {"Revoke an account or everyone.",
                "Example: --remove 444455556666"}) List<String> remove;

        @Override
        protected int execute() {
            Ids.require(Ids.Resource.SNAPSHOT, id);
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                List<String> adding = add == null ? List.of() : add;
                List<String> removing = remove == null ? List.of() : remove;
                // showing the permissions is the owner's business too: an empty change, so a shared snapshot is NotFound
                SnapshotInfo s = session.isRemote() ? session.remote().tenant().modifyCreateVolumePermission(id, adding, removing)
                        : session.store().modifyCreateVolumePermission(id, adding, removing);
                // the shape of EC2 DescribeSnapshotAttribute (createVolumePermission)
                print(Json.object("SnapshotId", s.id(), "CreateVolumePermissions", SnapshotShape.Permission.of(s.createVolumePermission())),
                        s.id() + "\t" + sharing(s, session.store().account().value()));
            }
            return 0;
        }
    }

    @Command(name = "delete", description = {"Delete a snapshot (what later snapshots need is kept).",
            "Example: amiforge snapshot delete snap-0123456789abcdef0"})
    public static final class Delete extends CommandBase {
        @Parameters(index = "0", paramLabel = "ID", description = {"The snapshot to delete.", "Example: snap-0123456789abcdef0"}) String id;

        @Override
        protected int execute() {
            Ids.require(Ids.Resource.SNAPSHOT, id);
            if (global().remoteStore().isPresent()) {
                // on an object store: deleted there (children keep what they read from it); AMIs of other hosts are not checked
                try (StoreAccess.Session session = StoreAccess.open(global())) {
                    session.remote().tenant().deleteSnapshot(id);
                }
                print(Json.object("SnapshotId", id, "Return", true), "deleted " + id);
                return 0;
            }
            // through the cloud: a snapshot a registered AMI uses cannot go (InvalidSnapshot.InUse)
            try (Cloud cloud = CloudFactory.open(global().store())) {
                cloud.deleteSnapshot(global().account(), global().region(), id);
            }
            print(Json.object("SnapshotId", id, "Return", true), "deleted " + id);
            return 0;
        }
    }

    @Command(name = "diff", description = {"Blocks that changed between two snapshots of one lineage.",
            "Example: amiforge snapshot diff snap-0123456789abcdef0 snap-0fedcba9876543210 --json"})
    public static final class Diff extends CommandBase {
        @Parameters(index = "0", paramLabel = "FROM", description = {"The older snapshot.", "Example: snap-0123456789abcdef0"}) String from;
        @Parameters(index = "1", paramLabel = "TO", description = {"The newer snapshot of the same lineage.", "Example: snap-0fedcba9876543210"}) String to;

        @Override
        protected int execute() {
            Ids.require(Ids.Resource.SNAPSHOT, from);
            Ids.require(Ids.Resource.SNAPSHOT, to);
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                if (session.isRemote()) {
                    throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", "snapshot diff works on a"
                            + " local store only, not on " + global().remoteStore().get() + " (migrate the snapshots down first)");
                }
                TenantStore store = session.store();
                ChangedBlocks changed = store.diff(from, to);
                long[] blocks = changed.blocks();
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("BlockSize", changed.blockSize());
                json.put("ChangedBlocks", blocks);
                StringBuilder text = new StringBuilder();
                text.append("block size ").append(changed.blockSize()).append(", ").append(blocks.length)
                        .append(" changed blocks\n");
                for (long b : blocks) {
                    text.append(b).append('\n');
                }
                print(json, text.toString());
            }
            return 0;
        }
    }
}
