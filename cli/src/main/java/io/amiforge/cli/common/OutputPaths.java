package io.amiforge.cli.common;

import io.amiforge.blockdev.AmiforgeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/** Checks on files a command is asked to write. */
public final class OutputPaths {

    private OutputPaths() {
    }

    /**
     * Refuses {@code output} when it lies inside {@code store} (real paths compared, symbolic
     * links resolved, so neither a link nor {@code ..} gets around it): writing there could
     * replace the store's own files.
     */
    public static void refuseInsideStore(Path output, Path store) {
        Path storeReal = real(store);
        Path target = real(output);
        if (target.startsWith(storeReal)) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "output " + output + " is inside the store directory " + storeReal
                            + " (resolves to " + target + "): write it somewhere else");
        }
    }

    /**
     * The real path of {@code path}: of the file itself when it exists (a link is followed),
     * else of its nearest existing ancestor with the rest appended.
     */
    static Path real(Path path) {
        Path absolute = path.toAbsolutePath().normalize();
        Path existing = absolute;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return absolute;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(absolute));
        } catch (IOException e) {
            return absolute; // a dangling link: compare what was given
        }
    }
}
