package io.amiforge.blockdev;

/**
 * Base of the failures a {@link BlockDevice} reports. Every message names the device and the
 * offending offset or block, and says what was expected.
 */
public class BlockDeviceException extends AmiforgeException {

    public BlockDeviceException(String message) {
        super(Kind.FAILED, "IOError", message);
    }

    public BlockDeviceException(Kind kind, String code, String message) {
        super(kind, code, message);
    }

    public BlockDeviceException(Kind kind, String code, String message, Throwable cause) {
        super(kind, code, message, cause);
    }

    /** A request reaching outside {@code [0, size)}. */
    public static final class OutOfRange extends BlockDeviceException {
        public OutOfRange(String device, long offset, long length, long size) {
            super(Kind.USAGE, "OutOfRange",
                    "%s: request [%d, +%d) is outside the device (size %d)".formatted(device, offset, length, size));
        }
    }

    /** Any use of a closed device. */
    public static final class Closed extends BlockDeviceException {
        public Closed(String device) {
            super(Kind.FAILED, "DeviceClosed", device + ": device is closed");
        }
    }

    /** A write or discard on a read-only device. */
    public static final class ReadOnly extends BlockDeviceException {
        public ReadOnly(String device) {
            super(Kind.NOT_PERMITTED, "ReadOnlyDevice", device + ": device is read-only");
        }
    }

    /** An I/O failure of the underlying medium. */
    public static final class Io extends BlockDeviceException {
        public Io(String device, String what, Throwable cause) {
            super(Kind.FAILED, "IOError", device + ": " + what + ": " + cause.getMessage(), cause);
        }
    }

    /** Stored data whose checksum does not match, or a damaged structure: names the object and the block. */
    public static final class Corrupt extends BlockDeviceException {
        public Corrupt(String message) {
            super(Kind.INVALID_INPUT, "CorruptData", message);
        }
    }
}
