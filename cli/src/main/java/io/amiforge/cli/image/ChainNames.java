package io.amiforge.cli.image;

import io.amiforge.imagefmt.format.ImageInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The names qemu-img prints for the files of a backing chain: the top as the user gave it, each
 * backing file as its name is stored, resolved against the directory of the name above it
 * ({@code top.qcow2} over {@code base.raw} prints {@code base.raw}, not an absolute path).
 */
final class ChainNames {

    private ChainNames() {
    }

    /** One name per entry of {@code info.backingChain()}, top first. */
    static List<String> of(Path top, ImageInfo info) {
        List<String> names = new ArrayList<>();
        Path current = top;
        names.add(top.toString());
        List<ImageInfo> chain = info.backingChain();
        for (int i = 1; i < chain.size(); i++) {
            Path stored = Path.of(chain.get(i - 1).backingFile());
            Path dir = current.getParent();
            current = stored.isAbsolute() || dir == null ? stored : dir.resolve(stored);
            names.add(current.toString());
        }
        return names;
    }
}
