package io.amiforge.store.strategy;

import java.util.List;

/** The built-in strategies by name. */
public final class Strategies {

    private Strategies() {
    }

    public static WriteStrategy write(String name) {
        return switch (name) {
            case "row" -> new RowWrite();
            case "cow" -> new CowWrite();
            default -> throw new IllegalArgumentException("unknown write strategy " + name);
        };
    }

    public static ReadIndex read(String name) {
        return switch (name) {
            case "walk" -> new WalkIndex();
            case "flat" -> new FlatIndex();
            default -> throw new IllegalArgumentException("unknown read index " + name);
        };
    }

    public static List<String> writeNames() {
        return List.of("row", "cow");
    }

    public static List<String> readNames() {
        return List.of("walk", "flat");
    }
}
