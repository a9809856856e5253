package io.amiforge.nbd;

import io.amiforge.blockdev.BlockDevice;
import java.util.Objects;

/**
 * One device offered under a name. A device that is read-only, or an export marked read-only,
 * refuses writes with EPERM. {@code status} may be null (the whole export reports as data).
 */
public record NbdExport(String name, BlockDevice device, boolean readOnly, String description,
                        BlockStatusSource status) {

    public NbdExport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        description = description == null ? "" : description;
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > NbdProtocol.MAX_STRING
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("export name '" + name + "' is longer than 4096 bytes or contains NUL");
        }
        readOnly = readOnly || device.isReadOnly();
    }

    /** An export whose status source is found by {@link BlockStatusSource#forDevice}. */
    public static NbdExport of(String name, BlockDevice device, boolean readOnly, String description) {
        return new NbdExport(name, device, readOnly, description, BlockStatusSource.forDevice(device));
    }
}
