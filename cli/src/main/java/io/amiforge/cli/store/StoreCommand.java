package io.amiforge.cli.store;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.store.TenantStore;
import io.amiforge.store.VerifyReport;
import io.amiforge.store.VolumeInfo;
import io.amiforge.store.remote.RemoteVerifyReport;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code amiforge store ...}: the snapshot store as a whole. */
@Command(name = "store", description = "Check the snapshot store; list its strategies; move it to an object store; pack deep chains.",
        mixinStandardHelpOptions = true,
        subcommands = {StoreCommand.Verify.class, StrategiesCommand.class, MigrateCommand.class, GcCommand.class, PackCommand.class})
public final class StoreCommand {

    @Command(name = "verify", description = {"Check every stored block's checksum (with --remote: every object of an object store);"
            + " exit 1 on damage.", "Example: amiforge store verify --json"})
    public static final class Verify extends CommandBase {
        @Option(names = "--remote", paramLabel = "URL", description = {"Check the snapshots on this object store instead: every"
                + " layer object read whole, its checksum, index and every block's checksum.", "Example: --remote s3://images/prod"})
        String remoteUrl;

        @Mixin
        RemoteStoreOptions remote;

        @Override
        protected int execute() {
            if (remoteUrl != null) {
                return verifyRemote();
            }
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                // the whole store is checked (damage anywhere is the host's business), but an account
                // is told only about its own volumes and snapshots
                Set<String> mine = new HashSet<>(store.listVolumes().stream().map(VolumeInfo::name).toList());
                store.listSnapshots().stream().filter(s -> s.ownerId().equals(store.account().value()))
                        .forEach(s -> mine.add(s.id()));
                VerifyReport all = session.raw().verify();
                VerifyReport report = new VerifyReport(all.blocksChecked(),
                        all.damage().stream().filter(d -> mine.contains(d.snapshotId() != null ? d.snapshotId() : d.volume())).toList(),
                        all.notChecked().stream().filter(mine::contains).toList());
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("Ok", report.ok());
                json.put("BlocksChecked", report.blocksChecked());
                json.put("Damage", report.damage().stream().map(d -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("SnapshotId", d.snapshotId());
                    m.put("VolumeName", d.volume());
                    m.put("Block", d.block());
                    m.put("Detail", d.detail());
                    return m;
                }).toList());
                json.put("NotChecked", report.notChecked());
                StringBuilder text = new StringBuilder();
                for (String volume : report.notChecked()) {
                    text.append("not checked: volume ").append(volume).append(" (open for writing in another process)\n");
                }
                for (VerifyReport.Damage d : report.damage()) {
                    text.append("damaged: ").append(d.snapshotId() != null ? "snapshot " + d.snapshotId() : "volume " + d.volume())
                            .append(" block ").append(d.block()).append(": ").append(d.detail()).append('\n');
                }
                text.append(report.ok() ? "ok: " : "DAMAGE: ").append(report.blocksChecked()).append(" blocks checked, ")
                        .append(report.damage().size()).append(" damaged");
                print(json, text.toString());
                return report.ok() ? 0 : 1;
            }
        }

        private int verifyRemote() {
            RemoteVerifyReport report;
            try (StoreAccess.Remote session = remote.open(global(), remoteUrl)) {
                report = session.store().verify();
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("Ok", report.clean());
            json.put("ObjectsChecked", report.objectsChecked());
            json.put("BlocksChecked", report.blocksChecked());
            json.put("Damage", report.damage());
            json.put("Unreferenced", report.unreferenced());
            StringBuilder text = new StringBuilder();
            report.damage().forEach(d -> text.append("damaged: ").append(d).append('\n'));
            report.unreferenced().forEach(k -> text.append("unreferenced: ").append(k).append(" (store gc removes it)\n"));
            text.append(report.clean() ? "ok: " : "DAMAGE: ").append(report.objectsChecked()).append(" objects, ")
                    .append(report.blocksChecked()).append(" blocks checked, ").append(report.damage().size()).append(" problems");
            print(json, text.toString());
            return report.clean() ? 0 : 1;
        }
    }
}
