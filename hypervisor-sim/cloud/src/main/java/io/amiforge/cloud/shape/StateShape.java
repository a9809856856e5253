package io.amiforge.cloud.shape;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.amiforge.cloud.InstanceState;

/** EC2's {@code InstanceState}: the numeric code and the name ({@code {"Code":16,"Name":"running"}}). */
public record StateShape(@JsonProperty("Code") int code, @JsonProperty("Name") String name) {

    /** The shape of {@code state}. */
    public static StateShape of(InstanceState state) {
        return new StateShape(state.code(), state.wireName());
    }
}
