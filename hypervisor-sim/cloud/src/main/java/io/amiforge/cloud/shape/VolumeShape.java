package io.amiforge.cloud.shape;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.amiforge.store.VolumeInfo;
import java.util.List;

/**
 * EC2's {@code Volume} as DescribeVolumes and CreateVolume answer it: {@code Size} in whole GiB
 * rounded up ({@link Gib#ceil}), {@code State} {@code available} or {@code in-use}. The store
 * keeps no zone per volume: {@code AvailabilityZone} is the one the caller gives (the region's
 * first). amiforge's own fields: {@code VolumeName} (the store's name, which the command line
 * takes), {@code SizeBytes} (the exact size), {@code BlockSize}, {@code WriteStrategy},
 * {@code ReadIndex} and {@code OwnerId}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"Attachments", "AvailabilityZone", "CreateTime", "Encrypted", "Size", "SnapshotId", "State", "VolumeId",
        "VolumeType", "MultiAttachEnabled", "VolumeName", "SizeBytes", "BlockSize", "WriteStrategy", "ReadIndex", "OwnerId"})
public record VolumeShape(
        @JsonProperty("VolumeId") String volumeId,
        @JsonProperty("Size") long size,
        @JsonProperty("SnapshotId") String snapshotId,
        @JsonProperty("AvailabilityZone") String availabilityZone,
        @JsonProperty("State") String state,
        @JsonProperty("CreateTime") String createTime,
        @JsonProperty("VolumeType") String volumeType,
        @JsonProperty("Encrypted") boolean encrypted,
        @JsonProperty("MultiAttachEnabled") boolean multiAttachEnabled,
        @JsonProperty("Attachments") List<Attachment> attachments,
        @JsonProperty("VolumeName") String volumeName,
        @JsonProperty("SizeBytes") long sizeBytes,
        @JsonProperty("BlockSize") int blockSize,
        @JsonProperty("WriteStrategy") String writeStrategy,
        @JsonProperty("ReadIndex") String readIndex,
        @JsonProperty("OwnerId") String ownerId) {

    /** EC2's {@code VolumeAttachment}: the instance and the device ({@code /dev/...}, null if unknown). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"Device", "InstanceId", "State", "VolumeId"})
    public record Attachment(@JsonProperty("VolumeId") String volumeId,
                             @JsonProperty("InstanceId") String instanceId,
                             @JsonProperty("Device") String device,
                             @JsonProperty("State") String state) {
    }

    /** The shape of {@code v}, shown in {@code zone}. */
    public static VolumeShape of(VolumeInfo v, String zone) {
        List<Attachment> attachments = List.of();
        if (v.attachedTo() != null) {
            // an instance's volumes are named INSTANCE-DEVICE by the cloud (i-...-xvda for /dev/xvda)
            String prefix = v.attachedTo() + "-";
            String device = v.name().startsWith(prefix) ? "/dev/" + v.name().substring(prefix.length()) : null;
            attachments = List.of(new Attachment(v.id(), v.attachedTo(), device, "attached"));
        }
        return new VolumeShape(v.id(), Gib.ceil(v.size()), v.parentSnapshotId(), zone,
                v.attachedTo() == null ? "available" : "in-use", v.createdAt().toString(), "gp3", false, false, attachments,
                v.name(), v.size(), v.blockSize(), v.writeStrategy(), v.readIndex(), v.ownerId());
    }
}
