package io.amiforge.cli.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.Shutdown;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.objects.ObjectStores;
import io.amiforge.store.remote.StoreMigration;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code amiforge store migrate}: a local store's snapshots to an object store, or back; resumable. */
@Command(name = "migrate", description = {"Copy every snapshot of a local store to an object store (s3://BUCKET/PREFIX) or back,"
        + " lineage and contents identical. Resumable: run it again after a failure and what was copied is skipped."
        + " Volumes are not copied (snapshot them first).",
        "Example: amiforge store migrate --from /srv/amiforge --to s3://images/prod --s3-endpoint http://127.0.0.1:7480"})
public final class MigrateCommand extends CommandBase {

    @Option(names = "--from", required = true, paramLabel = "DIR|URL", description = {
            "The source: a store directory (as --store; its --region store) or an object-store URL.", "Example: --from /srv/amiforge"})
    String from;

    @Option(names = "--to", required = true, paramLabel = "URL|DIR", description = {
            "The destination: an object-store URL or a store directory.", "Example: --to s3://images/prod"})
    String to;

    @Mixin
    RemoteStoreOptions remote;

    @Override
    protected int execute() {
        boolean up = ObjectStores.isUrl(to);
        if (up == ObjectStores.isUrl(from)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "store migrate: exactly one of --from (" + from + ") and --to (" + to + ") must be an object-store URL");
        }
        String url = up ? to : from;
        Path dir = StoreAccess.storeDir(Path.of(up ? from : to), global().region());
        StoreMigration.Result result;
        try (StoreAccess.Remote session = remote.open(global(), url);
                SnapshotStore local = Shutdown.closeOnExit(SnapshotStore.open(dir))) {
            result = up ? StoreMigration.toRemote(local, session.store()) : StoreMigration.toLocal(session.store(), local);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("From", from);
        json.put("To", to);
        json.put("Copied", result.copied());
        json.put("Skipped", result.skipped());
        print(json, "copied " + result.copied() + " snapshots, " + result.skipped() + " already there");
        return 0;
    }
}
