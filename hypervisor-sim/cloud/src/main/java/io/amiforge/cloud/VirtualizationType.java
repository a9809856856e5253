package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.amiforge.blockdev.AmiforgeException;

/** How an image boots: {@code hvm} (BIOS runs the MBR) or {@code paravirtual} (PV-GRUB). */
public enum VirtualizationType {
    HVM("hvm"), PARAVIRTUAL("paravirtual");

    private final String wireName;

    VirtualizationType(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static VirtualizationType parse(String text) {
        for (VirtualizationType v : values()) {
            if (v.wireName.equals(text)) {
                return v;
            }
        }
        throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                "virtualization type '" + text + "' is not one of hvm, paravirtual");
    }
}
