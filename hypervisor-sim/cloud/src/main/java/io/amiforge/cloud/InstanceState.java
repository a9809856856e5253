package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.amiforge.blockdev.AmiforgeException;

/**
 * The instance lifecycle, with EC2's state codes. The transitions an operation may make are
 * decided in one place, {@link #check(Operation, String, RootDeviceType)}.
 */
public enum InstanceState {
    PENDING(0), RUNNING(16), SHUTTING_DOWN(32), TERMINATED(48), STOPPING(64), STOPPED(80);

    private final int code;

    InstanceState(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    @JsonCreator
    public static InstanceState parse(String text) {
        return valueOf(text.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
    }

    /** The operations on an existing instance. */
    public enum Operation {
        STOP("stopped"), START("started"), REBOOT("rebooted"), TERMINATE("terminated"), CREATE_IMAGE("imaged");

        private final String pastParticiple;

        Operation(String pastParticiple) {
            this.pastParticiple = pastParticiple;
        }

        /** How messages say the operation was done to an instance: "stopped", "rebooted", "imaged". */
        public String pastParticiple() {
            return pastParticiple;
        }
    }

    /**
     * Fails, as EC2 does, unless {@code operation} is allowed on an instance in this state with
     * this root device type. Instance-store instances cannot be stopped or started.
     */
    public void check(Operation operation, String instanceId, RootDeviceType rootDeviceType) {
        boolean allowed = switch (operation) {
            case STOP -> this == RUNNING || this == PENDING || this == STOPPED;
            case START -> this == STOPPED || this == RUNNING;
            case REBOOT -> this == RUNNING;
            case TERMINATE -> true; // terminating a terminated instance succeeds, as in EC2
            case CREATE_IMAGE -> this == RUNNING || this == STOPPED;
        };
        if ((operation == Operation.STOP || operation == Operation.START) && rootDeviceType == RootDeviceType.INSTANCE_STORE) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_PERMITTED, "UnsupportedOperation",
                    "The instance '" + instanceId + "' does not have an 'ebs' root device type and cannot be "
                            + (operation == Operation.STOP ? "stopped" : "started") + ".");
        }
        if (operation == Operation.CREATE_IMAGE && rootDeviceType == RootDeviceType.INSTANCE_STORE) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_PERMITTED, "UnsupportedOperation",
                    "The instance '" + instanceId + "' has an instance-store root device; create-image needs an "
                            + "EBS-backed instance (bundle it instead).");
        }
        if (!allowed) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_PERMITTED, "IncorrectInstanceState",
                    "The instance '" + instanceId + "' is not in a state from which it can be "
                            + operation.pastParticiple() + " (it is " + wireName() + ").");
        }
    }
}
