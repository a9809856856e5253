package io.amiforge.boot.pv;

import io.amiforge.blockdev.AmiforgeException;

/**
 * A PV boot step that failed for a reason in the guest's data (menu.lst, kernel, initrd,
 * filesystem): never escapes {@link PvGrub#boot}, which turns it into a failed report or
 * tries the next fallback entry. {@link #where()} names the line or file offset.
 */
public final class PvBootException extends AmiforgeException {

    private final String where;

    public PvBootException(String code, String where, String message) {
        super(Kind.FAILED, code, where == null ? message : where + ": " + message);
        this.where = where;
    }

    public PvBootException(String code, String where, String message, Throwable cause) {
        super(Kind.FAILED, code, where == null ? message : where + ": " + message, cause);
        this.where = where;
    }

    /** The file and line or offset the failure is about, or null. */
    public String where() {
        return where;
    }
}
