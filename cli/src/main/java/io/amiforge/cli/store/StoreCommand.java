package io.amiforge.cli.store;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.store.SnapshotStore;
import io.amiforge.store.VerifyReport;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code amiforge store ...}: the snapshot store as a whole. */
@Command(name = "store", description = "Check the snapshot store; list its strategies.", mixinStandardHelpOptions = true,
        subcommands = {StoreCommand.Verify.class, StrategiesCommand.class})
public final class StoreCommand {

    @Command(name = "verify", description = "Check every stored block's checksum; exit 1 on damage.")
    public static final class Verify extends CommandBase {
        @Override
        protected int execute() {
            try (SnapshotStore store = StoreAccess.open(global())) {
                VerifyReport report = store.verify();
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
