package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where an image's root device lives: an EBS snapshot, or a bundle unpacked into instance store. */
public enum RootDeviceType {
    EBS("ebs"), INSTANCE_STORE("instance-store");

    private final String wireName;

    RootDeviceType(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static RootDeviceType parse(String text) {
        return text.equals("ebs") ? EBS : INSTANCE_STORE;
    }
}
