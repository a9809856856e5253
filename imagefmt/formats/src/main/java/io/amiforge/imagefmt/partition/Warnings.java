package io.amiforge.imagefmt.partition;

import java.util.ArrayList;
import java.util.List;

/**
 * Warnings about one table, bounded: the first {@value #SHOWN} are kept word for word and the
 * rest only counted, so a crafted table with a hundred thousand bad entries costs a short list.
 */
final class Warnings {

    /** Warnings kept verbatim. */
    static final int SHOWN = 10;

    private final List<String> shown = new ArrayList<>(SHOWN);
    private long more;

    void add(String warning) {
        if (shown.size() < SHOWN) {
            shown.add(warning);
        } else {
            more++;
        }
    }

    boolean isEmpty() {
        return shown.isEmpty();
    }

    /** The kept warnings, then "... and N more" when some were only counted. */
    List<String> list() {
        List<String> all = new ArrayList<>(shown);
        if (more > 0) {
            all.add("... and %d more warning%s".formatted(more, more == 1 ? "" : "s"));
        }
        return all;
    }
}
