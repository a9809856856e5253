package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import java.util.Optional;

/**
 * A launch, start or terminate in progress, recorded in the registry in the same change that
 * puts its instance in {@code pending} (or {@code shutting-down}) and removed in the change that
 * takes it out. It names the process
 * doing it (pid and start time, so a reused pid is not mistaken for it): when that process is
 * gone, the operation was interrupted and {@link InstanceRecovery} ends it.
 */
record InFlight(@JsonProperty("instanceId") String instanceId,
                @JsonProperty("operation") Operation operation,
                @JsonProperty("pid") long pid,
                @JsonProperty("processStart") String processStart) {

    /** What was in progress. */
    enum Operation {
        /** RunInstances: the instance's volumes are being made and it is booting for the first time. */
        LAUNCH,
        /** StartInstances: a stopped instance is booting again from its kept volumes. */
        START,
        /** TerminateInstances: the instance is shutting down and its volumes are being released. */
        TERMINATE
    }

    /** {@code operation} on {@code instanceId}, by this process. */
    static InFlight byThisProcess(String instanceId, Operation operation) {
        ProcessHandle self = ProcessHandle.current();
        return new InFlight(instanceId, operation, self.pid(), startOf(self).map(Instant::toString).orElse(null));
    }

    /** Whether the process that recorded this is still running (the same process, not a reuse of its pid). */
    boolean processAlive() {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (handle.isEmpty()) {
            return false;
        }
        Optional<Instant> start = startOf(handle.get());
        return processStart == null || start.isEmpty() || start.get().toString().equals(processStart);
    }

    private static Optional<Instant> startOf(ProcessHandle process) {
        return process.info().startInstant();
    }
}
