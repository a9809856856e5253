package io.amiforge.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.AmiforgeException.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** Removal of directories the cloud owns (a bundle's copy, an instance's storage). */
final class DirectoryTrees {

    private DirectoryTrees() {
    }

    /** Deletes {@code dir} and everything in it, if it exists; fails naming {@code dir}. */
    static void delete(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new AmiforgeException(Kind.FAILED, "IOError", dir + ": cannot delete: " + e.getMessage(), e);
        }
    }
}
