package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * What a region's registry persists in one document ({@code regions/NAME/registry.json}): its
 * images and instances, the launches and starts in progress ({@link InFlight}), and the format
 * version. All of them are updated together, atomically. ({@code inFlight} is absent in
 * documents written before it existed: none in progress.)
 */
record RegionState(@JsonProperty("formatVersion") int formatVersion,
                   @JsonProperty("images") List<MachineImage> images,
                   @JsonProperty("instances") List<Instance> instances,
                   @JsonProperty("inFlight") List<InFlight> inFlight) {

    static final int FORMAT_VERSION = 1;

    RegionState {
        images = images == null ? new ArrayList<>() : new ArrayList<>(images);
        instances = instances == null ? new ArrayList<>() : new ArrayList<>(instances);
        inFlight = inFlight == null ? new ArrayList<>() : new ArrayList<>(inFlight);
    }

    /** A copy whose lists may change without changing this one (images and instances are immutable values). */
    RegionState copy() {
        return new RegionState(formatVersion, images, instances, inFlight);
    }

    static RegionState empty() {
        return new RegionState(FORMAT_VERSION, List.of(), List.of(), List.of());
    }

    /** Records that this process is doing {@code operation} on {@code instanceId}. */
    void begin(String instanceId, InFlight.Operation operation) {
        inFlight.add(InFlight.byThisProcess(instanceId, operation));
    }

    /** Forgets the operation in progress on {@code instanceId}, if any. */
    void finish(String instanceId) {
        inFlight.removeIf(f -> f.instanceId().equals(instanceId));
    }

    /** The image {@code imageId}, whoever owns it; {@code InvalidAMIID.NotFound} if there is none. */
    MachineImage image(String imageId, String region) {
        return images.stream().filter(i -> i.imageId().equals(imageId)).findFirst()
                .orElseThrow(() -> imageNotFound(imageId, region));
    }

    /** Puts {@code image} in place of the image with its id. */
    void replace(MachineImage image) {
        images.replaceAll(i -> i.imageId().equals(image.imageId()) ? image : i);
    }

    /** The instance {@code instanceId} if {@code caller} owns it; {@code InvalidInstanceID.NotFound} otherwise. */
    Instance instance(String instanceId, String caller, String region) {
        Instance instance = instances.stream().filter(i -> i.instanceId().equals(instanceId)).findFirst().orElse(null);
        if (instance == null || !instance.ownerId().equals(caller)) {
            throw new AmiforgeException(Kind.NOT_FOUND, "InvalidInstanceID.NotFound",
                    "The instance ID '" + instanceId + "' does not exist in " + region);
        }
        return instance;
    }

    /** Puts {@code instance} in place of the instance with its id. */
    void replace(Instance instance) {
        instances.replaceAll(i -> i.instanceId().equals(instance.instanceId()) ? instance : i);
    }

    /** Fails with {@code InvalidAMIName.Duplicate} if {@code owner} has a registered image named {@code name}. */
    void checkNameFree(String owner, String name) {
        boolean taken = images.stream().anyMatch(i -> i.ownerId().equals(owner) && i.name().equals(name)
                && i.state() != ImageState.DEREGISTERED);
        if (taken) {
            throw new AmiforgeException(Kind.USAGE, "InvalidAMIName.Duplicate",
                    "AMI name '" + name + "' is already in use by an image of account " + owner);
        }
    }

    static AmiforgeException imageNotFound(String imageId, String region) {
        return new AmiforgeException(Kind.NOT_FOUND, "InvalidAMIID.NotFound",
                "The image id '[" + imageId + "]' does not exist in " + region);
    }
}
