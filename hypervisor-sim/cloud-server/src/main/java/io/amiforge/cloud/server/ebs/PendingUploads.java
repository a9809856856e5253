package io.amiforge.cloud.server.ebs;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where EBS direct keeps uploads in progress, so they outlive the server process:
 * {@code ROOT/regions/REGION/ebs-direct/SNAPSHOT/upload.json} (what StartSnapshot was asked, and
 * whether the upload timed out; written atomically and fsynced) and {@code blocks.log} (one
 * record per PutSnapshotBlock, appended after the block is written: see {@link BlockLog}). The
 * upload's data is in its store volume {@code ebs-direct-SNAPSHOT}; CompleteSnapshot removes the
 * directory once the snapshot exists.
 */
final class PendingUploads {

    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String RECORD = "upload.json";
    private static final String LOG = "blocks.log";

    private final Path root;

    PendingUploads(Path root) {
        this.root = root;
    }

    /** What StartSnapshot was asked, as saved; {@code failure} is set once the upload has ended in error. */
    record Saved(@JsonProperty("snapshotId") String snapshotId,
                 @JsonProperty("account") String account,
                 @JsonProperty("region") String region,
                 @JsonProperty("volumeName") String volumeName,
                 @JsonProperty("volumeSizeGiB") long volumeSizeGiB,
                 @JsonProperty("parentSnapshotId") String parentSnapshotId,
                 @JsonProperty("description") String description,
                 @JsonProperty("tags") List<Map<String, String>> tags,
                 @JsonProperty("clientToken") String clientToken,
                 @JsonProperty("startTime") String startTime,
                 @JsonProperty("deadline") String deadline,
                 @JsonProperty("failure") String failure) {
    }

    /** The directory of one upload. */
    Path dir(String region, String snapshotId) {
        return root.resolve("regions").resolve(region).resolve("ebs-direct").resolve(snapshotId);
    }

    /** Writes {@code saved} durably (temporary file, fsync, rename, directory fsync). */
    void save(Saved saved) {
        Path dir = dir(saved.region(), saved.snapshotId());
        Path file = dir.resolve(RECORD);
        Path temp = dir.resolve(RECORD + ".tmp");
        try {
            Files.createDirectories(dir);
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(JSON.writeValueAsBytes(saved));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
                directory.force(true);
            }
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", file + ": cannot save the upload: " + e.getMessage(), e);
        }
    }

    /** The block log of an upload, opened (created with its directory if need be) for appending. */
    BlockLog log(String region, String snapshotId) {
        Path dir = dir(region, snapshotId);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": cannot create: " + e.getMessage(), e);
        }
        return BlockLog.open(dir.resolve(LOG));
    }

    /** Every saved upload, each with the blocks its log records; one that cannot be read is reported, not skipped. */
    List<Found> all() {
        List<Found> found = new ArrayList<>();
        Path regions = root.resolve("regions");
        if (!Files.isDirectory(regions)) {
            return found;
        }
        try (DirectoryStream<Path> regionDirs = Files.newDirectoryStream(regions)) {
            for (Path region : regionDirs) {
                Path uploads = region.resolve("ebs-direct");
                if (!Files.isDirectory(uploads)) {
                    continue;
                }
                try (DirectoryStream<Path> dirs = Files.newDirectoryStream(uploads)) {
                    for (Path dir : dirs) {
                        found.add(read(dir));
                    }
                }
            }
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", regions + ": cannot list pending EBS direct uploads: "
                    + e.getMessage(), e);
        }
        return found;
    }

    /** A saved upload: its record and blocks, or why they cannot be read. */
    record Found(Path dir, Saved saved, Map<Long, byte[]> digests, String problem) {
    }

    private static Found read(Path dir) {
        Path file = dir.resolve(RECORD);
        Saved saved;
        try {
            saved = JSON.readValue(Files.readAllBytes(file), Saved.class);
        } catch (NoSuchFileException e) {
            return new Found(dir, null, Map.of(), file + " is missing (StartSnapshot died before saving it)");
        } catch (IOException e) {
            return new Found(dir, null, Map.of(), file + ": cannot be read: " + e.getMessage());
        }
        if (saved.snapshotId() == null || !saved.snapshotId().equals(dir.getFileName().toString())) {
            return new Found(dir, null, Map.of(), file + ": names snapshot " + saved.snapshotId() + ", not " + dir.getFileName());
        }
        try {
            return new Found(dir, saved, BlockLog.read(dir.resolve(LOG)), null);
        } catch (AmiforgeException e) {
            return new Found(dir, saved, Map.of(), e.getMessage());
        }
    }

    /** Removes an upload's directory (its record and log). */
    void remove(String region, String snapshotId) {
        removeDir(dir(region, snapshotId));
    }

    static void removeDir(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": cannot remove the upload's state: " + e.getMessage(), e);
        }
    }
}
