package io.amiforge.cli.image;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.qcow2.Qcow2Snapshot;
import io.amiforge.imagefmt.qcow2.Qcow2Snapshots;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code image snapshot -l|-c NAME|-a SNAP|-d SNAP FILE}: internal snapshots of a qcow2 image,
 * as {@code qemu-img snapshot}, compatible with it both ways (the same list layout; JSON with
 * {@code qemu-img info}'s snapshot fields). Applying and deleting take an ID or a name.
 */
@Command(name = "snapshot",
        description = {"List, create, apply or delete internal snapshots of a qcow2 image, as qemu-img snapshot.",
            "Example: amiforge image snapshot -c before-upgrade disk.qcow2"})
public final class ImageSnapshotCommand extends ImageCommandBase {

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

    @Parameters(index = "0", paramLabel = "FILE", description = {"The qcow2 image.", "Example: disk.qcow2"})
    Path file;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Action action;

    /** Exactly one of the four actions. */
    static final class Action {
        @Option(names = {"-l", "--list"}, description = {"List the snapshots.", "Example: -l"})
        boolean list;

        @Option(names = {"-c", "--create"}, paramLabel = "NAME", description = {"Create a snapshot of the current state.", "Example: -c clean"})
        String create;

        @Option(names = {"-a", "--apply"}, paramLabel = "SNAP",
                description = {"Make the snapshot with this ID or name the current state (the current state is lost).", "Example: -a clean"})
        String apply;

        @Option(names = {"-d", "--delete"}, paramLabel = "SNAP", description = {"Delete the snapshot with this ID or name.", "Example: -d 1"})
        String delete;
    }

    @Override
    protected int execute() {
        ImageSource source = imageOptions.source(file);
        String format = ImageFormats.formatOf(source).name();
        if (!format.equals("qcow2")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    file + ": image format " + format + " has no internal snapshots (qcow2 has)");
        }
        if (action.list) {
            List<Qcow2Snapshot> snapshots = Qcow2Snapshots.list(file);
            List<Map<String, Object>> json = new ArrayList<>();
            for (Qcow2Snapshot s : snapshots) {
                json.add(json(s));
            }
            print(json, table(snapshots));
            return 0;
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", file.toString());
        if (action.create != null) {
            Qcow2Snapshot created = Qcow2Snapshots.create(file, action.create);
            json.put("created", json(created));
        } else if (action.apply != null) {
            Qcow2Snapshots.apply(file, action.apply);
            json.put("applied", action.apply);
        } else {
            Qcow2Snapshots.delete(file, action.delete);
            json.put("deleted", action.delete);
        }
        print(json, null);
        return 0;
    }

    /** One snapshot with qemu-img info's field names. */
    private static Map<String, Object> json(Qcow2Snapshot s) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", s.id());
        json.put("name", s.name());
        json.put("vm-state-size", s.vmStateSize());
        json.put("date-sec", s.dateSeconds());
        json.put("date-nsec", s.dateNanos());
        json.put("vm-clock-sec", s.vmClockNanos() / 1_000_000_000L);
        json.put("vm-clock-nsec", s.vmClockNanos() % 1_000_000_000L);
        json.put("icount", s.icount() == -1 ? null : s.icount());
        json.put("virtual-size", s.virtualSize());
        return json;
    }

    /** qemu-img snapshot -l's layout. */
    private static String table(List<Qcow2Snapshot> snapshots) {
        StringBuilder text = new StringBuilder("Snapshot list:\n");
        text.append("%-10s%-17s%8s%20s%13s%11s\n".formatted("ID", "TAG", "VM SIZE", "DATE", "VM CLOCK", "ICOUNT"));
        for (Qcow2Snapshot s : snapshots) {
            String date = DATE.format(Instant.ofEpochSecond(s.dateSeconds()).atZone(ZoneId.systemDefault()));
            long ms = s.vmClockNanos() / 1_000_000;
            String clock = "%02d:%02d:%02d.%03d".formatted(ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
            // the name is padded to 16 bytes (qemu-img runs in the C locale), then one space
            String name = s.name() + " ".repeat(Math.max(0, 16 - s.name().getBytes(StandardCharsets.UTF_8).length));
            text.append("%-9s %s %8s%20s%13s%11s\n".formatted(s.id(), name, HumanSize.of(s.vmStateSize()), date, clock,
                    s.icount() == -1 ? "" : Long.toString(s.icount())));
        }
        return text.toString();
    }
}
