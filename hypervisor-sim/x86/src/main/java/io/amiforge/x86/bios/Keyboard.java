package io.amiforge.x86.bios;

import java.util.ArrayDeque;

/**
 * A scripted keyboard for INT 16h: the keys of a script string in order ('\n' is Enter,
 * '\b' Backspace, '\t' Tab, '\u001b' Escape), each with its PC scan code. An empty script
 * means no key is ever pressed. It also counts the polls (INT 16h AH=01h) that found no key
 * since the last key, so a guest waiting for a key that will never come can be stopped.
 */
public final class Keyboard {

    private static final String ROW1 = "1234567890-=";
    private static final String ROW2 = "qwertyuiop[]";
    private static final String ROW3 = "asdfghjkl;'`";
    private static final String ROW4 = "\\zxcvbnm,./";
    private static final String SHIFT1 = "!@#$%^&*()_+";
    private static final String SHIFT2 = "QWERTYUIOP{}";
    private static final String SHIFT3 = "ASDFGHJKL:\"~";
    private static final String SHIFT4 = "|ZXCVBNM<>?";

    private final ArrayDeque<Integer> keys = new ArrayDeque<>();
    private long emptyPolls;

    public Keyboard(String script) {
        if (script != null) {
            for (int i = 0; i < script.length() && keys.size() < 65536; i++) {
                keys.add(key(script.charAt(i)));
            }
        }
    }

    /** True when a key is waiting. */
    public boolean hasKey() {
        return !keys.isEmpty();
    }

    /** The next key as {@code scanCode << 8 | ascii} without removing it, or -1. */
    public int peek() {
        Integer k = keys.peek();
        return k == null ? -1 : k;
    }

    /** Removes and returns the next key, or -1. */
    public int take() {
        Integer k = keys.poll();
        return k == null ? -1 : k;
    }

    /** Polls that found no key since a key was last seen. */
    public long emptyPolls() {
        return emptyPolls;
    }

    /** Notes a poll: one more empty one, or, when a key was there, none since. */
    void notePoll(boolean found) {
        emptyPolls = found ? 0 : emptyPolls + 1;
    }

    /** Puts a key at the end (INT 16h AH=05h). */
    public void push(int key) {
        if (keys.size() < 65536) {
            keys.add(key & 0xFFFF);
        }
    }

    static int key(char c) {
        int scan = switch (c) {
            case '\n', '\r' -> 0x1C;
            case '\b' -> 0x0E;
            case '\t' -> 0x0F;
            case 27 -> 0x01;
            case ' ' -> 0x39;
            default -> scanOf(c);
        };
        int ascii = c == '\n' ? '\r' : c & 0xFF;
        return scan << 8 | ascii;
    }

    private static int scanOf(char c) {
        String[] rows = {ROW1, ROW2, ROW3, ROW4, SHIFT1, SHIFT2, SHIFT3, SHIFT4};
        int[] base = {0x02, 0x10, 0x1E, 0x2B, 0x02, 0x10, 0x1E, 0x2B};
        for (int i = 0; i < rows.length; i++) {
            int at = rows[i].indexOf(c);
            if (at >= 0) {
                return base[i] + at;
            }
        }
        return 0;
    }
}
