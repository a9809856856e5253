package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Optional;

/**
 * A registered machine image (AMI), with the fields and spelling of EC2 DescribeImages. It is
 * immutable; changes produce a new value ({@code with...}). The launch permission list is
 * kept beside the image ({@link LaunchPermissions}); DescribeImages shows it only as
 * {@code Public}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"ImageId", "Name", "Description", "OwnerId", "ImageOwnerAlias", "CreationDate", "State",
        "Architecture", "ImageType", "VirtualizationType", "Hypervisor", "RootDeviceType", "RootDeviceName",
        "BlockDeviceMappings", "KernelId", "RamdiskId", "ImageLocation", "Public", "ProductCodes", "BootMode",
        "PlatformDetails", "SourceImageId", "SourceImageRegion", "LaunchPermissions"})
public record MachineImage(
        @JsonProperty("ImageId") String imageId,
        @JsonProperty("Name") String name,
        @JsonProperty("Description") String description,
        @JsonProperty("OwnerId") String ownerId,
        @JsonProperty("ImageOwnerAlias") String imageOwnerAlias,
        @JsonProperty("CreationDate") String creationDate,
        @JsonProperty("State") ImageState state,
        @JsonProperty("Architecture") Architecture architecture,
        @JsonProperty("VirtualizationType") VirtualizationType virtualizationType,
        @JsonProperty("RootDeviceType") RootDeviceType rootDeviceType,
        @JsonProperty("RootDeviceName") String rootDeviceName,
        @JsonProperty("BlockDeviceMappings") List<BlockDeviceMapping> blockDeviceMappings,
        @JsonProperty("KernelId") String kernelId,
        @JsonProperty("RamdiskId") String ramdiskId,
        @JsonProperty("ImageLocation") String imageLocation,
        @JsonProperty("ProductCodes") List<ProductCode> productCodes,
        @JsonProperty("BootMode") String bootMode,
        @JsonProperty("SourceImageId") String sourceImageId,
        @JsonProperty("SourceImageRegion") @JsonAlias("SourceRegion") String sourceRegion, // SourceRegion: catalogues before 2026-12
        @JsonProperty("LaunchPermissions") LaunchPermissions launchPermissions) {

    public MachineImage {
        blockDeviceMappings = blockDeviceMappings == null ? List.of() : List.copyOf(blockDeviceMappings);
        productCodes = productCodes == null ? List.of() : List.copyOf(productCodes);
        launchPermissions = launchPermissions == null ? LaunchPermissions.NONE : launchPermissions;
    }

    /** A marketplace product code attached to an image. */
    public record ProductCode(@JsonProperty("ProductCodeId") String productCodeId,
                              @JsonProperty("ProductCodeType") String productCodeType) {
    }

    @JsonProperty("Public")
    public boolean isPublic() {
        return launchPermissions.isPublic();
    }

    @JsonProperty("ImageType")
    public String imageType() {
        return "machine";
    }

    @JsonProperty("Hypervisor")
    public String hypervisor() {
        return "xen";
    }

    @JsonProperty("PlatformDetails")
    public String platformDetails() {
        return "Linux/UNIX";
    }

    /**
     * The location DescribeImages shows: the bundle manifest an instance-store image was registered
     * from, else {@code OWNER/NAME} as EC2 shows it for an EBS-backed image.
     */
    @JsonIgnore
    public String location() {
        return imageLocation != null ? imageLocation : ownerId + "/" + name;
    }

    /** The mapping of the root device, if the image has one. */
    @JsonIgnore
    public Optional<BlockDeviceMapping> rootMapping() {
        return blockDeviceMappings.stream().filter(m -> m.deviceName().equals(rootDeviceName)).findFirst();
    }

    /** Whether {@code account} may launch this image: the owner, a listed account, or anyone if public. */
    public boolean launchableBy(String account) {
        return ownerId.equals(account) || launchPermissions.allows(account);
    }

    public MachineImage withState(ImageState newState) {
        return new MachineImage(imageId, name, description, ownerId, imageOwnerAlias, creationDate, newState,
                architecture, virtualizationType, rootDeviceType, rootDeviceName, blockDeviceMappings, kernelId,
                ramdiskId, imageLocation, productCodes, bootMode, sourceImageId, sourceRegion, launchPermissions);
    }

    public MachineImage withLaunchPermissions(LaunchPermissions permissions) {
        return new MachineImage(imageId, name, description, ownerId, imageOwnerAlias, creationDate, state,
                architecture, virtualizationType, rootDeviceType, rootDeviceName, blockDeviceMappings, kernelId,
                ramdiskId, imageLocation, productCodes, bootMode, sourceImageId, sourceRegion, permissions);
    }

    /**
     * The same image as it shows to {@code viewer}: the owner alias is {@code self} for the owner;
     * only the owner sees who else may launch it, everyone sees whether it is public.
     */
    public MachineImage asSeenBy(String viewer) {
        String alias = imageOwnerAlias != null ? imageOwnerAlias : (ownerId.equals(viewer) ? "self" : null);
        LaunchPermissions shown = ownerId.equals(viewer) ? launchPermissions : new LaunchPermissions(List.of(), launchPermissions.isPublic());
        return new MachineImage(imageId, name, description, ownerId, alias, creationDate, state,
                architecture, virtualizationType, rootDeviceType, rootDeviceName, blockDeviceMappings, kernelId,
                ramdiskId, imageLocation, productCodes, bootMode, sourceImageId, sourceRegion, shown);
    }
}
