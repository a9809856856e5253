package io.amiforge.cloud.shape;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.amiforge.cloud.Instance;

/**
 * EC2's {@code InstanceStateChange}, an item of StartingInstances, StoppingInstances and
 * TerminatingInstances: the instance, its state now and before the call. {@code LastBoot} is
 * amiforge's (the boot a start ran), absent when the instance has not booted.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"CurrentState", "InstanceId", "PreviousState", "LastBoot"})
public record StateChangeShape(@JsonProperty("InstanceId") String instanceId,
                               @JsonProperty("CurrentState") StateShape currentState,
                               @JsonProperty("PreviousState") StateShape previousState,
                               @JsonProperty("LastBoot") Instance.BootSummary lastBoot) {

    /** The change from {@code before} to {@code after} (the same instance). */
    public static StateChangeShape of(Instance before, Instance after) {
        if (!before.instanceId().equals(after.instanceId())) {
            throw new IllegalArgumentException("a state change of one instance, not " + before.instanceId() + " to "
                    + after.instanceId());
        }
        return new StateChangeShape(after.instanceId(), StateShape.of(after.state()), StateShape.of(before.state()),
                after.lastBoot());
    }
}
