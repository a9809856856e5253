package io.amiforge.cli.store;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.blockdev.FileBlockDevice;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.cli.common.Json;
import io.amiforge.cli.common.JsonBytes;
import io.amiforge.cli.common.OutputPaths;
import io.amiforge.cli.common.Progress;
import io.amiforge.cli.common.ProgressDevice;
import io.amiforge.cli.common.ProgressOptions;
import io.amiforge.cli.common.Size;
import io.amiforge.cloud.Ids;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.imagefmt.format.ImageSource;
import io.amiforge.imagefmt.ova.OvaAppliance;
import io.amiforge.store.SnapshotInfo;
import io.amiforge.store.TenantStore;
import io.amiforge.store.Volume;
import io.amiforge.store.VolumeInfo;
import io.amiforge.store.VolumeOptions;
import io.amiforge.store.spi.Strategies;
import io.amiforge.transfer.ChainExporter;
import io.amiforge.transfer.ChainImporter;
import io.amiforge.transfer.OvaImporter;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code amiforge volume ...}: volumes of the region's snapshot store. */
@Command(name = "volume", description = "Create, write, read, clone, roll back, export and delete volumes.",
        mixinStandardHelpOptions = true,
        subcommands = {VolumeCommand.Create.class, VolumeCommand.Import.class, VolumeCommand.Write.class,
                VolumeCommand.Read.class, VolumeCommand.Clone.class, VolumeCommand.Rollback.class,
                VolumeCommand.Delete.class, VolumeCommand.ListVolumes.class, VolumeCommand.Export.class,
                VolumeCommand.Info.class})
public final class VolumeCommand {

    static final int COPY_CHUNK = 1 << 20;

    static AmiforgeException usage(String message) {
        return new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue", message);
    }

    @Command(name = "create", description = {"Create an empty (sparse) volume.", "Example: amiforge volume create web-root --size 8G --write-strategy cow"})
    public static final class Create extends CommandBase {
        @Parameters(index = "0", paramLabel = "NAME", description = {"Name of the new volume.", "Example: web-root"}) String name;
        @Option(names = "--size", required = true, paramLabel = "S", description = {"Volume size: 512, 4K, 64M, 1G.", "Example: --size 8G"}) Size size;
        @Option(names = "--block-size", paramLabel = "B", defaultValue = "4K", description = {"Block size of the volume (default 4K), a power of two.",
                "Example: --block-size 64K"}) Size blockSize;
        @Option(names = "--write-strategy", paramLabel = "NAME", defaultValue = VolumeOptions.DEFAULT_WRITE_STRATEGY,
                completionCandidates = StrategyNames.Write.class,
                description = {"Write strategy: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; plug-ins: --plugin-path).",
                        "Example: --write-strategy row"})
        String write;
        @Option(names = "--index", paramLabel = "NAME", defaultValue = VolumeOptions.DEFAULT_READ_INDEX,
                completionCandidates = StrategyNames.Read.class,
                description = {"Read index: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}; plug-ins: --plugin-path).", "Example: --index flat"})
        String index;

        @Override
        protected int execute() {
            if (blockSize.bytes() > Integer.MAX_VALUE) {
                throw usage("block size " + blockSize.bytes() + " is too large");
            }
            VolumeOptions options = new VolumeOptions((int) blockSize.bytes(), write, index);
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                store.createVolume(name, size.bytes(), options).close();
                VolumeInfo info = store.volume(name);
                print(StoreAccess.shape(global(), info), info.id() + "\t" + info.name());
            }
            return 0;
        }
    }

    @Command(name = "import", description = {"Create a volume from a disk image: raw (zero blocks stay sparse), or qcow2,"
            + " whose backing chain becomes one snapshot per layer. Of an OVA every disk becomes a volume (NAME-1, NAME-2 ...;"
            + " NAME alone for one disk), or the disk --disk chooses.", "Example: amiforge volume import web-root disk.qcow2"})
    public static final class Import extends CommandBase {
        @Parameters(index = "0", paramLabel = "NAME", description = {"Name of the new volume.", "Example: web-root"}) String name;
        @Parameters(index = "1", paramLabel = "FILE", description = {"Disk image to import (probed by content unless -f names it).",
                "Example: disk.qcow2"}) Path file;
        @Option(names = "--block-size", paramLabel = "B", defaultValue = "4K", description = {"Block size of the volume (default 4K), a power of two.",
                "Example: --block-size 64K"}) Size blockSize;
        @Option(names = "--disk", paramLabel = "N", description = {"Of an OVA, import only disk N (from 1, in descriptor order) as NAME;"
                + " image info FILE lists the disks.", "Example: --disk 2"}) Integer disk;
        @Mixin ImageOptions imageOptions = new ImageOptions();

        @Override
        protected int execute() {
            int bs = (int) blockSize.bytes();
            ImageSource image = imageOptions.source(file);
            String format = ImageFormats.formatOf(image).name();
            if (format.equals("ova")) {
                return importOva(bs);
            }
            if (disk != null) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                        "--disk chooses a disk of an OVA; " + file + " is " + format + " (one disk): leave --disk out");
            }
            boolean raw = format.equals("raw");
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                // one bulk path for both: holes and unallocated clusters are never read, each byte is written once
                ChainImporter.Result result = ChainImporter.importImage(store, name, image, bs);
                VolumeInfo info = store.volume(name);
                if (raw) {
                    print(StoreAccess.shape(global(), info), info.id() + "\t" + info.name());
                    return 0;
                }
                Map<String, Object> json = Json.fieldsOf(StoreAccess.shape(global(), info));
                json.put("Snapshots", StoreAccess.shapes(store, result.snapshots()));
                print(json, info.id() + "\t" + info.name() + "\t" + result.snapshots().size() + " snapshot(s): "
                        + String.join(" <- ", result.snapshots().stream().map(SnapshotInfo::id).toList()));
            }
            return 0;
        }

        /** Every disk of the OVA as NAME-N (NAME for a single disk), or disk {@code --disk} as NAME. */
        private int importOva(int bs) {
            OvaAppliance appliance = OvaAppliance.read(file);
            if (appliance.disks().isEmpty()) {
                throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "InvalidImageFormat", file + ": the OVF descriptor "
                        + appliance.descriptor() + " lists no disk");
            }
            List<OvaAppliance.Disk> disks = disk != null ? List.of(appliance.disk(disk)) : appliance.disks();
            List<String> names = disks.size() == 1 ? List.of(name) : disks.stream().map(d -> name + "-" + d.number()).toList();
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                List<OvaImporter.Imported> imported = OvaImporter.importDisks(store, appliance, disks, names, bs);
                List<Map<String, Object>> volumes = new ArrayList<>();
                StringBuilder text = new StringBuilder();
                for (OvaImporter.Imported one : imported) {
                    VolumeInfo info = store.volume(one.volumeName());
                    Map<String, Object> json = Json.fieldsOf(StoreAccess.shape(global(), info));
                    Map<String, Object> source = new LinkedHashMap<>();
                    source.put("Number", one.disk().number());
                    source.put("Id", one.disk().id());
                    source.put("Member", one.disk().member());
                    json.put("Disk", source);
                    volumes.add(json);
                    text.append(text.isEmpty() ? "" : "\n").append(info.id()).append('\t').append(info.name()).append("\tdisk ")
                            .append(one.disk().number()).append(" '").append(one.disk().id()).append("' (").append(one.disk().member())
                            .append(')');
                }
                print(Map.of("Volumes", volumes), text.toString());
            }
            return 0;
        }
    }

    @Command(name = "write", description = {"Write a file's bytes into a volume at an offset.",
            "Example: amiforge volume write web-root --offset 1M --input patch.bin"})
    public static final class Write extends CommandBase {
        @Parameters(index = "0", paramLabel = "NAME", description = {"The volume to write.", "Example: web-root"}) String name;
        @Option(names = "--offset", required = true, paramLabel = "N", description = {"Byte offset to write at.", "Example: --offset 1M"}) Size offset;
        @Option(names = "--input", required = true, paramLabel = "FILE", description = {"File whose bytes are written.",
                "Example: --input patch.bin"}) Path input;

        @Override
        protected int execute() throws IOException {
            long length = Files.size(input);
            Map<String, Object> stats;
            try (StoreAccess.Session session = StoreAccess.open(global()); Volume volume = session.store().openVolume(name);
                    FileBlockDevice source = FileBlockDevice.open(input, true); Arena arena = Arena.ofConfined()) {
                if (offset.bytes() > volume.size() - length) {
                    throw usage("writing " + length + " bytes at offset " + offset.bytes() + " runs past the end of volume "
                            + name + " (size " + volume.size() + ")");
                }
                MemorySegment buf = arena.allocate(COPY_CHUNK, 4096);
                for (long done = 0; done < length; ) {
                    int n = (int) Math.min(COPY_CHUNK, length - done);
                    source.read(done, buf.asSlice(0, n));
                    volume.write(offset.bytes() + done, buf.asSlice(0, n));
                    done += n;
                }
                volume.flush();
                stats = StoreAccess.json(volume.stats());
            }
            Map<String, Object> json = new java.util.LinkedHashMap<>();
            json.put("VolumeName", name);
            json.put("Offset", offset.bytes());
            json.put("BytesWritten", length);
            json.put("Stats", stats);
            print(json, null);
            return 0;
        }
    }

    @Command(name = "info", description = {"Show a volume, its strategies (with where they come from) and the counters"
            + " they report, read when the volume is opened.", "Example: amiforge volume info web-root --json"})
    public static final class Info extends CommandBase {
        @Parameters(index = "0", paramLabel = "NAME", description = {"The volume.", "Example: web-root"}) String name;

        @Override
        protected int execute() {
            try (StoreAccess.Session session = StoreAccess.open(global()); Volume volume = session.store().openVolume(name)) {
                TenantStore store = session.store();
                VolumeInfo info = store.volume(name);
                Map<String, Object> json = Json.fieldsOf(StoreAccess.shape(global(), info));
                json.put("Strategies", List.of(StoreAccess.json(Strategies.writeStrategy(info.writeStrategy())),
                        StoreAccess.json(Strategies.readIndex(info.readIndex()))));
                json.put("Stats", StoreAccess.json(volume.stats()));
                StringBuilder text = new StringBuilder();
                text.append("%s\t%s\tsize %d\tblock %d\tparent %s%n".formatted(info.id(), info.name(), info.size(),
                        info.blockSize(), info.parentSnapshotId() == null ? "-" : info.parentSnapshotId()));
                text.append("write-strategy %s (%s)%n".formatted(info.writeStrategy(),
                        Strategies.origin(Strategies.writeStrategy(info.writeStrategy()))));
                text.append("read-index %s (%s)%n".formatted(info.readIndex(), Strategies.origin(Strategies.readIndex(info.readIndex()))));
                volume.stats().strategyCounters().forEach((counter, value) -> text.append(counter).append(' ').append(value).append('\n'));
                print(json, text.toString());
            }
            return 0;
        }
    }

    @Command(name = "read", description = {"Read bytes of a volume (to stdout, or to FILE).",
            "Example: amiforge volume read web-root mbr.bin --offset 0 --length 512"})
    public static final class Read extends CommandBase {
        @Parameters(index = "0", paramLabel = "NAME", description = {"The volume to read.", "Example: web-root"}) String name;
        @Option(names = "--offset", required = true, paramLabel = "N", description = {"Byte offset to read from.", "Example: --offset 0"}) Size offset;
        @Option(names = "--length", required = true, paramLabel = "N", description = {"Bytes to read.", "Example: --length 4K"}) Size length;
        @Parameters(index = "1", arity = "0..1", paramLabel = "FILE",
                description = {"Write the bytes to FILE instead of stdout.", "Example: mbr.bin"}) Path output;
        @Option(names = {"-o", "--output"}, hidden = true, paramLabel = "FILE",
                description = {"Old spelling of the FILE argument.", "Example: -o mbr.bin"})
        void output(Path file) {
            output = file;
        }

        @Override
        protected int execute() throws IOException {
            try (StoreAccess.Session session = StoreAccess.open(global()); Volume volume = session.store().openVolume(name);
                    Arena arena = Arena.ofConfined()) {
                if (offset.bytes() > volume.size() - length.bytes()) {
                    throw usage("reading " + length.bytes() + " bytes at offset " + offset.bytes()
                            + " runs past the end of volume " + name + " (size " + volume.size() + ")");
                }
                out().flush();
                Map<String, Object> fields = new java.util.LinkedHashMap<>();
                fields.put("VolumeName", name);
                fields.put("Offset", offset.bytes());
                fields.put("Length", length.bytes());
                // with --json and no -o: one JSON document with the bytes in base64, never raw bytes beside it
                JsonBytes json = global().json() && output == null ? JsonBytes.begin(out(), fields, "ContentBase64") : null;
                OutputStream sink = json != null ? json.content() : output == null ? System.out : Files.newOutputStream(output);
                try {
                    MemorySegment buf = arena.allocate(COPY_CHUNK, 4096);
                    byte[] bytes = new byte[COPY_CHUNK];
                    for (long done = 0; done < length.bytes(); ) {
                        int n = (int) Math.min(COPY_CHUNK, length.bytes() - done);
                        volume.read(offset.bytes() + done, buf.asSlice(0, n));
                        MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, n);
                        sink.write(bytes, 0, n);
                        done += n;
                    }
                    sink.flush();
                } finally {
                    if (json != null) {
                        json.close();
                    } else if (output != null) {
                        sink.close();
                    }
                }
                if (global().json() && output != null) {
                    fields.put("Output", output.toString());
                    print(fields, null);
                }
            }
            return 0;
        }
    }

    @Command(name = "clone", description = {"Create a volume from a snapshot (lazy: nothing is copied).",
            "Example: amiforge volume clone snap-0123456789abcdef0 web-test"})
    public static final class Clone extends CommandBase {
        @Parameters(index = "0", paramLabel = "SNAPSHOT", description = {"The snapshot to clone.", "Example: snap-0123456789abcdef0"}) String snapshot;
        @Parameters(index = "1", paramLabel = "NAME", description = {"Name of the new volume.", "Example: web-test"}) String name;

        @Override
        protected int execute() {
            Ids.require(Ids.Resource.SNAPSHOT, snapshot);
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                if (session.isRemote()) {
                    session.remote().tenant().cloneVolume(snapshot, name).close(); // a snapshot on the object store
                } else {
                    store.cloneVolume(snapshot, name).close();
                }
                VolumeInfo info = store.volume(name);
                print(StoreAccess.shape(global(), info), info.id() + "\t" + info.name());
            }
            return 0;
        }
    }

    @Command(name = "rollback", description = {"Make a volume's contents those of a snapshot.",
            "Example: amiforge volume rollback web-root snap-0123456789abcdef0"})
    public static final class Rollback extends CommandBase {
        @Parameters(index = "0", paramLabel = "NAME", description = {"The volume to roll back.", "Example: web-root"}) String name;
        @Parameters(index = "1", paramLabel = "SNAPSHOT", description = {"The snapshot of that volume to return to.",
                "Example: snap-0123456789abcdef0"}) String snapshot;

        @Override
        protected int execute() {
            Ids.require(Ids.Resource.SNAPSHOT, snapshot);
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                store.rollback(name, snapshot);
                VolumeInfo info = store.volume(name);
                print(StoreAccess.shape(global(), info), "rolled back " + name + " to " + snapshot);
            }
            return 0;
        }
    }

    @Command(name = "delete", description = {"Delete a volume (its snapshots stay).", "Example: amiforge volume delete web-test"})
    public static final class Delete extends CommandBase {
        @Parameters(index = "0", paramLabel = "NAME", description = {"The volume to delete.", "Example: web-test"}) String name;

        @Override
        protected int execute() {
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                store.deleteVolume(name);
            }
            print(Json.object("VolumeName", name, "Return", true), "deleted " + name);
            return 0;
        }
    }

    @Command(name = "list", description = {"List the volumes ({\"Volumes\":[...]} with --json, as EC2 DescribeVolumes; sizes in GiB"
            + " rounded up, exact in SizeBytes).", "Example: amiforge volume list --json"})
    public static final class ListVolumes extends CommandBase {
        @Override
        protected int execute() {
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                List<VolumeInfo> volumes = store.listVolumes();
                StringBuilder text = new StringBuilder();
                for (VolumeInfo v : volumes) {
                    text.append("%s\t%s\t%d\t%d\t%s/%s\t%s%n".formatted(v.id(), v.name(), v.size(), v.blockSize(),
                            v.writeStrategy(), v.readIndex(), v.parentSnapshotId() == null ? "-" : v.parentSnapshotId()));
                }
                print(Map.of("Volumes", volumes.stream().map(v -> StoreAccess.shape(global(), v)).toList()), text.toString());
            }
            return 0;
        }
    }

    @Command(name = "export", description = {"Export a volume or snapshot as a flat raw or qcow2 image; a snapshot"
            + " exported as qcow2 becomes a backing chain, one file per snapshot of its lineage.",
                    "Example: amiforge volume export snap-0123456789abcdef0 web.qcow2 -O qcow2"})
    public static final class Export extends CommandBase {
        @Mixin ProgressOptions progressOptions = new ProgressOptions();
        @Parameters(index = "0", paramLabel = "NAME|SNAPSHOT", description = {"The volume or snapshot (snap-...) to export.",
                "Example: web-root"}) String source;
        @Parameters(index = "1", arity = "0..1", paramLabel = "FILE",
                description = {"Image file to write (for a qcow2 chain, the top file).", "Example: web.qcow2"}) Path output;
        @Option(names = {"-o", "--output"}, hidden = true, paramLabel = "FILE",
                description = {"Old spelling of the FILE argument.", "Example: -o web.raw"})
        void output(Path file) {
            output = file;
        }
        @Option(names = "-O", paramLabel = "FORMAT", defaultValue = "raw", description = {"Output format: raw or qcow2 (default raw).",
                "Example: -O qcow2"}) String format;
        @Option(names = "--flat", description = {"Export a snapshot as one qcow2 file instead of a backing chain.", "Example: --flat"})
        boolean flat;

        @Override
        protected int execute() throws IOException {
            if (!format.equals("raw") && !format.equals("qcow2")) {
                throw usage("export format '" + format + "' is not supported (supported: raw, qcow2)");
            }
            if (output == null) {
                throw new AmiforgeException(AmiforgeException.Kind.USAGE, "MissingParameter",
                        "no output file: give it after the volume or snapshot (example: volume export web-root web.raw)");
            }
            OutputPaths.refuseInsideStore(output, global().store());
            boolean snapshot = source.startsWith("snap-");
            if (snapshot) {
                Ids.require(Ids.Resource.SNAPSHOT, source);
            }
            try (StoreAccess.Session session = StoreAccess.open(global())) {
                TenantStore store = session.store();
                Map<String, Object> json = new java.util.LinkedHashMap<>();
                json.put("Source", source);
                json.put("Format", format);
                if (snapshot && format.equals("qcow2") && !flat) {
                    store.openSnapshot(source).close(); // only the owner may read a snapshot: else InvalidSnapshot.NotFound
                    List<Path> files = ChainExporter.exportChain(session.raw(), source, output);
                    json.put("Files", files.stream().map(Path::toString).toList());
                    print(json, "exported " + source + " as a qcow2 chain of " + files.size() + " file(s): "
                            + String.join(" <- ", files.stream().map(p -> p.getFileName().toString()).toList()));
                    return 0;
                }
                try (BlockDevice device = snapshot ? store.openSnapshot(source) : store.openVolume(source);
                        Progress progress = progress("export", device.size(), progressOptions.requested(), true)) {
                    ChainExporter.exportFlat(ProgressDevice.wrap(device, progress), output, format);
                    json.put("Files", List.of(output.toString()));
                    json.put("SizeBytes", device.size());
                }
                print(json, "exported " + source + " to " + output);
            }
            return 0;
        }
    }
}
