package io.amiforge.cli.store;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.store.TenantStore;
import io.amiforge.store.VerifyReport;
import io.amiforge.store.VolumeInfo;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;

/** {@code amiforge store ...}: the snapshot store as a whole. */
@Command(name = "store", description = "Check the snapshot store; list its strategies.", mixinStandardHelpOptions = true,
        subcommands = {StoreCommand.Verify.class, StrategiesCommand.class})
public final class StoreCommand {

    @Command(name = "verify", description = {"Check every stored block's checksum; exit 1 on damage.", "Example: amiforge store verify --json"})
    public static final class Verify extends CommandBase {
        @Override
        protected int execute() {
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
                json.put("ok", report.ok());
                json.put("blocksChecked", report.blocksChecked());
                json.put("damage", report.damage().stream().map(d -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("snapshotId", d.snapshotId());
                    m.put("volume", d.volume());
                    m.put("block", d.block());
                    m.put("detail", d.detail());
                    return m;
                }).toList());
                json.put("notChecked", report.notChecked());
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
    }
}
