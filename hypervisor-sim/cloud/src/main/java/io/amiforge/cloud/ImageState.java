package io.amiforge.cloud;

import com.fasterxml.jackson.annotation.JsonValue;

/** The state of a registered image, as DescribeImages shows it. */
public enum ImageState {
    PENDING, AVAILABLE, FAILED, DEREGISTERED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
