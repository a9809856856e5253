package io.amiforge.testkit;

/** For tests that set a system property: puts it back as it was afterwards, set or not. */
public final class SystemProperties {

    private SystemProperties() {
    }

    /** Runs {@code body} (which may set, change or clear property {@code name}), then restores {@code name}. */
    public static void restoring(String name, Runnable body) {
        String saved = System.getProperty(name);
        try {
            body.run();
        } finally {
            if (saved == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, saved);
            }
        }
    }
}
