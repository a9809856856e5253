package io.amiforge.cloud.shape;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.amiforge.store.SnapshotInfo;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * EC2's {@code Snapshot} as DescribeSnapshots and CreateSnapshot answer it: {@code VolumeSize}
 * in whole GiB rounded up ({@link Gib#ceil}), {@code State} {@code completed} (or
 * {@code pending} while an EBS direct upload is open), tags from the store's {@code tag:}
 * attributes. {@code VolumeId} is the id of the volume it was taken from when the viewer has it
 * ({@code volumeIds}: store volume name to id), else EC2's placeholder {@code vol-ffffffff}.
 * amiforge's own fields: {@code VolumeName}, {@code ParentSnapshotId} (its lineage parent),
 * {@code SizeBytes}, {@code BlockSize}, {@code BlockCount} (blocks this layer holds),
 * {@code CreateVolumePermissions} (as DescribeSnapshotAttribute names them) and
 * {@code Attributes} (the store's other attributes).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"Description", "Encrypted", "OwnerId", "Progress", "SnapshotId", "StartTime", "State", "VolumeId",
        "VolumeSize", "StorageTier", "Tags", "VolumeName", "ParentSnapshotId", "SizeBytes", "BlockSize", "BlockCount",
        "CreateVolumePermissions", "Attributes"})
public record SnapshotShape(
        @JsonProperty("SnapshotId") String snapshotId,
        @JsonProperty("VolumeId") String volumeId,
        @JsonProperty("State") String state,
        @JsonProperty("StartTime") String startTime,
        @JsonProperty("Progress") String progress,
        @JsonProperty("OwnerId") String ownerId,
        @JsonProperty("VolumeSize") long volumeSize,
        @JsonProperty("Description") String description,
        @JsonProperty("Encrypted") boolean encrypted,
        @JsonProperty("StorageTier") String storageTier,
        @JsonProperty("Tags") List<Tag> tags,
        @JsonProperty("VolumeName") String volumeName,
        @JsonProperty("ParentSnapshotId") String parentSnapshotId,
        @JsonProperty("SizeBytes") long sizeBytes,
        @JsonProperty("BlockSize") int blockSize,
        @JsonProperty("BlockCount") long blockCount,
        @JsonProperty("CreateVolumePermissions") List<Permission> createVolumePermissions,
        @JsonProperty("Attributes") Map<String, String> attributes) {

    /** The placeholder EC2 shows for a snapshot's volume the viewer cannot see. */
    public static final String UNKNOWN_VOLUME = "vol-ffffffff";

    /** EC2's {@code Tag}. */
    @JsonPropertyOrder({"Key", "Value"})
    public record Tag(@JsonProperty("Key") String key, @JsonProperty("Value") String value) {
    }

    /** EC2's {@code CreateVolumePermission}: an account ({@code UserId}) or everyone ({@code Group} {@code all}). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Permission(@JsonProperty("UserId") String userId, @JsonProperty("Group") String group) {

        /** The permission of one entry of the store's list ({@code all} or an account id). */
        public static Permission of(String who) {
            return who.equals("all") ? new Permission(null, "all") : new Permission(who, null);
        }

        /** The permissions of the store's list. */
        public static List<Permission> of(List<String> list) {
            return list.stream().map(Permission::of).toList();
        }
    }

    /** The shape of {@code s}, {@code pending} or completed, its volume id looked up in {@code volumeIds}. */
    public static SnapshotShape of(SnapshotInfo s, Map<String, String> volumeIds, boolean pending) {
        List<Tag> tags = new ArrayList<>();
        Map<String, String> others = new LinkedHashMap<>();
        s.attributes().forEach((k, v) -> {
            if (k.startsWith("tag:")) {
                tags.add(new Tag(k.substring("tag:".length()), v));
            } else {
                others.put(k, v);
            }
        });
        return new SnapshotShape(s.id(), volumeIds.getOrDefault(s.volumeName(), UNKNOWN_VOLUME),
                pending ? "pending" : "completed", s.createdAt().toString(), pending ? "0%" : "100%", s.ownerId(),
                Gib.ceil(s.size()), s.description(), false, "standard", List.copyOf(tags), s.volumeName(), s.parentId(),
                s.size(), s.blockSize(), s.blockCount(), Permission.of(s.createVolumePermission()),
                others.isEmpty() ? null : Collections.unmodifiableMap(others));
    }
}
