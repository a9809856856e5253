package io.amiforge.cli.nbd;

import io.amiforge.cli.common.GlobalOptions;
import io.amiforge.nbd.NbdExport;

/**
 * Turns an {@code nbd serve} EXPORT argument that is not {@code NAME=PATH} (a volume or
 * snapshot name) into an export ({@link StoreExportResolver} in the command line; another in tests
 * or embedders).
 */
public interface ExportResolver {

    /**
     * Opens the volume or snapshot called {@code name}.
     *
     * @param readOnly true when --read-only was given (a snapshot is read-only regardless)
     * @return the export (its device is flushed and closed by the command at shutdown), or
     *         null when there is no such volume or snapshot
     */
    NbdExport resolve(String name, boolean readOnly, GlobalOptions global);

    /** Called once when the command stops, after every resolved device was closed. */
    default void close() {
    }
}
