package io.amiforge.cloud;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** The time stamps the cloud records (creation, launch, state reasons): now, or {@code SOURCE_DATE_EPOCH} if set. */
final class Timestamps {

    private Timestamps() {
    }

    /** The current instant in ISO-8601 with milliseconds, or {@code SOURCE_DATE_EPOCH} for reproducible output. */
    static String now() {
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        Instant instant = epoch != null && epoch.matches("\\d+") ? Instant.ofEpochSecond(Long.parseLong(epoch)) : Instant.now();
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }
}
