package io.amiforge.x86.bios;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The latches of the legacy devices behind the I/O ports, apart from their behaviour
 * ({@link IoPorts}, {@link Int14Serial}): COM1's line control, the 8042's pending command,
 * port 61h, and the POST codes written to port 80h (bounded). The PIT, PIC and RTC keep their own.
 */
public final class PortState {

    /** A fresh, empty state. */
    public PortState() {
    }

    /** Most POST codes kept. */
    public static final int MAX_POST_CODES = 4096;

    int serialLineControl;
    int keyboardControllerCommand;
    int portB;
    private final List<Integer> postCodes = new ArrayList<>();

    /** The POST codes the guest wrote to port 80h, in order, at most {@link #MAX_POST_CODES} (read-only view). */
    public List<Integer> postCodes() {
        return Collections.unmodifiableList(postCodes);
    }

    void postCode(int code) {
        if (postCodes.size() < MAX_POST_CODES) {
            postCodes.add(code & 0xFF);
        }
    }
}
