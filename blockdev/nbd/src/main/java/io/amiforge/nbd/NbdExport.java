package io.amiforge.nbd;

import io.amiforge.blockdev.BlockDevice;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One device offered under a name. A device that is read-only, or an export marked read-only,
 * refuses writes with EPERM. Clients see the device's holes ({@code base:allocation} block
 * status, sparse structured reads) when it implements
 * {@link io.amiforge.blockdev.AllocationStatus}; any other device reports all data.
 */
public record NbdExport(String name, BlockDevice device, boolean readOnly, String description) {

    public NbdExport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(device, "device");
        description = description == null ? "" : description;
        if (name.getBytes(StandardCharsets.UTF_8).length > NbdProtocol.MAX_STRING || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("export name '" + name + "' is longer than 4096 bytes or contains NUL");
        }
        readOnly = readOnly || device.isReadOnly();
    }
}
