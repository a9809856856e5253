package io.amiforge.cli.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.store.remote.GcReport;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code amiforge store gc URL}: removes what interrupted uploads and deletions left on an object store. */
@Command(name = "gc", description = {"On an object store: delete layer objects no snapshot names and abort multipart uploads,"
        + " both older than the grace period (which must outlast any upload in flight).",
        "Example: amiforge store gc s3://images/prod --grace 1h"})
public final class GcCommand extends CommandBase {

    @Parameters(index = "0", paramLabel = "URL", description = {"The object store.", "Example: s3://images/prod"})
    String url;

    @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "1h", description = {
            "Leave objects and uploads younger than this (default 1h; 90s, 30m, 2h, 1d).", "Example: --grace 30m"})
    String grace;

    @Mixin
    RemoteStoreOptions remote;

    @Override
    protected int execute() {
        Duration g = parse(grace);
        GcReport report;
        try (StoreAccess.Remote session = remote.open(global(), url)) {
            report = session.store().gc(g);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("Deleted", report.deleted());
        json.put("AbortedUploads", report.abortedUploads());
        StringBuilder text = new StringBuilder();
        report.deleted().forEach(k -> text.append("deleted ").append(k).append('\n'));
        text.append(report.deleted().size()).append(" objects deleted, ").append(report.abortedUploads()).append(" uploads aborted");
        print(json, text.toString());
        return 0;
    }

    static Duration parse(String text) {
        try {
            String t = text.trim().toLowerCase(java.util.Locale.ROOT);
            if (t.endsWith("d")) {
                return Duration.ofDays(Long.parseLong(t.substring(0, t.length() - 1)));
            }
            return Duration.parse("PT" + t.toUpperCase(java.util.Locale.ROOT));
        } catch (DateTimeParseException | NumberFormatException e) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--grace '" + text + "' is not a duration (write 90s, 30m, 2h or 1d)");
        }
    }
}
