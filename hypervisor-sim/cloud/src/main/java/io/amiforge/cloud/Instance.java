package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.amiforge.boot.BootReport;
import io.amiforge.x86.bios.Screen;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A launched instance, as DescribeInstances shows it, plus what the simulator keeps: the
 * store volumes behind its block devices and the last boot's outcome and console.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"InstanceId", "ImageId", "InstanceType", "OwnerId", "Region", "AvailabilityZone", "State",
        "StateTransitionReason", "LaunchTime", "Architecture", "VirtualizationType", "RootDeviceType",
        "RootDeviceName", "BlockDeviceMappings", "LastBoot"})
public record Instance(
        @JsonProperty("InstanceId") String instanceId,
        @JsonProperty("ImageId") String imageId,
        @JsonProperty("InstanceType") String instanceType,
        @JsonProperty("OwnerId") String ownerId,
        @JsonProperty("Region") String region,
        @JsonProperty("AvailabilityZone") String availabilityZone,
        @JsonProperty("State") InstanceState state,
        @JsonProperty("StateTransitionReason") String stateTransitionReason,
        @JsonProperty("LaunchTime") String launchTime,
        @JsonProperty("Architecture") Architecture architecture,
        @JsonProperty("VirtualizationType") VirtualizationType virtualizationType,
        @JsonProperty("RootDeviceType") RootDeviceType rootDeviceType,
        @JsonProperty("RootDeviceName") String rootDeviceName,
        @JsonProperty("BlockDeviceMappings") List<AttachedVolume> blockDeviceMappings,
        @JsonProperty("LastBoot") BootSummary lastBoot) {

    public Instance {
        blockDeviceMappings = blockDeviceMappings == null ? List.of() : List.copyOf(blockDeviceMappings);
    }

    /**
     * A device of the instance and the store volume behind it. {@code ephemeral} volumes
     * (instance store) never outlive the instance; EBS volumes go with it only when
     * {@code deleteOnTermination}.
     */
    public record AttachedVolume(@JsonProperty("DeviceName") String deviceName,
                                 @JsonProperty("VolumeName") String volumeName,
                                 @JsonProperty("Ephemeral") boolean ephemeral,
                                 @JsonProperty("DeleteOnTermination") boolean deleteOnTermination,
                                 @JsonProperty("Deleted") boolean deleted) {
        public AttachedVolume markDeleted() {
            return new AttachedVolume(deviceName, volumeName, ephemeral, deleteOnTermination, true);
        }
    }

    /**
     * The outcome of the last boot: result, kernel reached, console text, and the VGA text screen
     * at the end (the cells of a {@link Screen}, base64; null for PV boots and boots recorded
     * before screens were kept).
     */
    public record BootSummary(@JsonProperty("Result") String result,
                              @JsonProperty("Kernel") String kernel,
                              @JsonProperty("Error") String error,
                              @JsonProperty("Console") String console,
                              @JsonProperty("Screen") String screen) {

        /** The summary of {@code report}. */
        public static BootSummary of(BootReport report) {
            String kernel = report.kernel() == null ? null
                    : (report.kernel().version() != null ? report.kernel().version() : report.kernel().path());
            return new BootSummary(report.result().wireName(), kernel, report.error(), report.console(),
                    report.screen() == null ? null : Base64.getEncoder().encodeToString(report.screen().cells()));
        }

        /** The screen at the end of the boot, if it had one. */
        public Optional<Screen> screenCells() {
            return screen == null ? Optional.empty() : Optional.of(Screen.ofCells(Base64.getDecoder().decode(screen)));
        }
    }

    public Instance with(InstanceState newState, String reason) {
        return new Instance(instanceId, imageId, instanceType, ownerId, region, availabilityZone, newState, reason,
                launchTime, architecture, virtualizationType, rootDeviceType, rootDeviceName, blockDeviceMappings, lastBoot);
    }

    public Instance withBoot(BootSummary boot) {
        return new Instance(instanceId, imageId, instanceType, ownerId, region, availabilityZone, state,
                stateTransitionReason, launchTime, architecture, virtualizationType, rootDeviceType, rootDeviceName,
                blockDeviceMappings, boot);
    }

    public Instance withVolumes(List<AttachedVolume> volumes) {
        return new Instance(instanceId, imageId, instanceType, ownerId, region, availabilityZone, state,
                stateTransitionReason, launchTime, architecture, virtualizationType, rootDeviceType, rootDeviceName,
                volumes, lastBoot);
    }

    /** The store volume behind the root device. */
    public AttachedVolume rootVolume() {
        return blockDeviceMappings.stream().filter(v -> v.deviceName().equals(rootDeviceName)).findFirst()
                .orElseThrow(() -> new IllegalStateException(instanceId + " has no root volume"));
    }
}
