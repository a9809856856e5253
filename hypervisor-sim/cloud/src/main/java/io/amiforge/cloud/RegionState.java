package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/**
 * What a region's registry persists in one document ({@code regions/NAME/registry.json}): its
 * images and instances, and the format version. Images and instances are updated together,
 * atomically.
 */
record RegionState(@JsonProperty("formatVersion") int formatVersion,
                   @JsonProperty("images") List<MachineImage> images,
                   @JsonProperty("instances") List<Instance> instances) {

    static final int FORMAT_VERSION = 1;

    RegionState {
        images = images == null ? new ArrayList<>() : new ArrayList<>(images);
        instances = instances == null ? new ArrayList<>() : new ArrayList<>(instances);
    }

    static RegionState empty() {
        return new RegionState(FORMAT_VERSION, List.of(), List.of());
    }
}
