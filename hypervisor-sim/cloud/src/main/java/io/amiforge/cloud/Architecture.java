package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import io.amiforge.blockdev.AmiforgeException;

/** An image or instance architecture, spelled as EC2 spells it. */
public enum Architecture {
    I386("i386"), X86_64("x86_64"), ARM64("arm64");

    private final String wireName;

    Architecture(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static Architecture parse(String text) {
        for (Architecture a : values()) {
            if (a.wireName.equals(text)) {
                return a;
            }
        }
        throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                "architecture '" + text + "' is not one of i386, x86_64, arm64");
    }
}
