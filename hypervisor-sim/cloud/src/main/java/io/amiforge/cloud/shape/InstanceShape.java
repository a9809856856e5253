package io.amiforge.cloud.shape;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.amiforge.cloud.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * EC2's {@code Instance} as DescribeInstances and RunInstances answer it. The EBS devices list
 * only volumes that still exist and have an id ({@code volumeIds}: store volume name to
 * {@code vol-} id); instance-store devices are not listed, as in EC2. {@code LastBoot} is
 * amiforge's: the outcome of the last simulated boot.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"AmiLaunchIndex", "ImageId", "InstanceId", "InstanceType", "LaunchTime", "Monitoring", "Placement",
        "PrivateDnsName", "PublicDnsName", "State", "StateTransitionReason", "Architecture", "BlockDeviceMappings",
        "Hypervisor", "RootDeviceName", "RootDeviceType", "VirtualizationType", "LastBoot"})
public record InstanceShape(
        @JsonProperty("InstanceId") String instanceId,
        @JsonProperty("ImageId") String imageId,
        @JsonProperty("State") StateShape state,
        @JsonProperty("PrivateDnsName") String privateDnsName,
        @JsonProperty("PublicDnsName") String publicDnsName,
        @JsonProperty("StateTransitionReason") String stateTransitionReason,
        @JsonProperty("AmiLaunchIndex") int amiLaunchIndex,
        @JsonProperty("InstanceType") String instanceType,
        @JsonProperty("LaunchTime") String launchTime,
        @JsonProperty("Placement") Placement placement,
        @JsonProperty("Monitoring") Monitoring monitoring,
        @JsonProperty("Architecture") String architecture,
        @JsonProperty("RootDeviceType") String rootDeviceType,
        @JsonProperty("RootDeviceName") String rootDeviceName,
        @JsonProperty("BlockDeviceMappings") List<Device> blockDeviceMappings,
        @JsonProperty("VirtualizationType") String virtualizationType,
        @JsonProperty("Hypervisor") String hypervisor,
        @JsonProperty("LastBoot") Instance.BootSummary lastBoot) {

    /** EC2's {@code Placement}: the zone; no placement groups, default tenancy. */
    @JsonPropertyOrder({"AvailabilityZone", "GroupName", "Tenancy"})
    public record Placement(@JsonProperty("AvailabilityZone") String availabilityZone,
                            @JsonProperty("GroupName") String groupName,
                            @JsonProperty("Tenancy") String tenancy) {
    }

    /** EC2's {@code Monitoring}: always {@code disabled} (there is no CloudWatch). */
    public record Monitoring(@JsonProperty("State") String state) {
    }

    /** EC2's {@code InstanceBlockDeviceMapping}: a device and the EBS volume attached there. */
    @JsonPropertyOrder({"DeviceName", "Ebs"})
    public record Device(@JsonProperty("DeviceName") String deviceName, @JsonProperty("Ebs") Ebs ebs) {
    }

    /** EC2's {@code EbsInstanceBlockDevice}. */
    @JsonPropertyOrder({"AttachTime", "DeleteOnTermination", "Status", "VolumeId"})
    public record Ebs(@JsonProperty("VolumeId") String volumeId,
                      @JsonProperty("Status") String status,
                      @JsonProperty("AttachTime") String attachTime,
                      @JsonProperty("DeleteOnTermination") boolean deleteOnTermination) {
    }

    /** The shape of {@code i}, launched as number {@code launchIndex} of its reservation. */
    public static InstanceShape of(Instance i, int launchIndex, Map<String, String> volumeIds) {
        List<Device> devices = new ArrayList<>();
        for (Instance.AttachedVolume v : i.blockDeviceMappings()) {
            String id = volumeIds.get(v.volumeName());
            if (v.ephemeral() || v.deleted() || id == null) {
                continue;
            }
            devices.add(new Device(v.deviceName(), new Ebs(id, "attached", i.launchTime(), v.deleteOnTermination())));
        }
        return new InstanceShape(i.instanceId(), i.imageId(), StateShape.of(i.state()), "", "", i.stateTransitionReason(),
                launchIndex, i.instanceType(), i.launchTime(), new Placement(i.availabilityZone(), "", "default"),
                new Monitoring("disabled"), i.architecture() == null ? null : i.architecture().wireName(),
                i.rootDeviceType().wireName(), i.rootDeviceName(), List.copyOf(devices),
                i.virtualizationType() == null ? null : i.virtualizationType().wireName(), "xen", i.lastBoot());
    }
}
