package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One entry of an image's or instance's block device mapping, as EC2 shows it: a device name
 * with either an EBS volume made from a snapshot, an instance-store volume ({@code ephemeralN}),
 * or {@code NoDevice} (suppressed).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BlockDeviceMapping(
        @JsonProperty("DeviceName") String deviceName,
        @JsonProperty("Ebs") Ebs ebs,
        @JsonProperty("VirtualName") String virtualName,
        @JsonProperty("NoDevice") String noDevice) {

    /** An EBS volume: from {@code snapshotId}, {@code volumeSize} GiB. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Ebs(
            @JsonProperty("SnapshotId") String snapshotId,
            @JsonProperty("VolumeSize") long volumeSize,
            @JsonProperty("VolumeType") String volumeType,
            @JsonProperty("DeleteOnTermination") boolean deleteOnTermination,
            @JsonProperty("Encrypted") boolean encrypted) {
    }

    public static BlockDeviceMapping ebs(String device, String snapshotId, long sizeGiB, boolean deleteOnTermination) {
        return new BlockDeviceMapping(device, new Ebs(snapshotId, sizeGiB, "gp3", deleteOnTermination, false), null, null);
    }

    public static BlockDeviceMapping ephemeral(String device, int index) {
        return new BlockDeviceMapping(device, null, "ephemeral" + index, null);
    }
}
