package io.amiforge.boot.pv;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.testkit.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A test {@link GuestFileSystem} over a real ext2/3/4 image, read with e2fsprogs' {@code debugfs}
 * ({@code stat} for type, size and fast-symlink targets, {@code cat} for contents): an outside
 * truth for PV-GRUB's path and symlink handling. {@code offset} selects a filesystem inside a
 * partitioned image ({@code image?offset=N}).
 */
final class DebugfsGuestFileSystem implements GuestFileSystem {

    private static final Pattern TYPE = Pattern.compile("Type: (\\w+)");
    private static final Pattern SIZE = Pattern.compile("\\bSize: (\\d+)");
    private static final Pattern FAST_LINK = Pattern.compile("Fast link dest: \"(.*)\"");

    private final Path debugfs;
    private final String image;

    DebugfsGuestFileSystem(Path debugfs, Path image, long offset) {
        this.debugfs = debugfs;
        this.image = offset == 0 ? image.toString() : image + "?offset=" + offset;
    }

    private byte[] run(String request, boolean stdoutOnly) {
        Processes.Result r = Processes.run(List.of(debugfs.toString(), "-R", request, image));
        return stdoutOnly ? r.stdout() : r.output().getBytes(StandardCharsets.UTF_8);
    }

    private String stat(String path) {
        return new String(run("stat \"" + path + "\"", false), StandardCharsets.UTF_8);
    }

    @Override
    public Optional<FileType> type(String path) {
        String s = stat(path);
        Matcher m = TYPE.matcher(s);
        if (s.contains("File not found") || !m.find()) {
            return Optional.empty();
        }
        return Optional.of(switch (m.group(1)) {
            case "regular" -> FileType.REGULAR;
            case "directory" -> FileType.DIRECTORY;
            case "symlink" -> FileType.SYMLINK;
            default -> FileType.OTHER;
        });
    }

    @Override
    public String readlink(String path) {
        String s = stat(path);
        Matcher m = FAST_LINK.matcher(s);
        if (m.find()) {
            return m.group(1);
        }
        return new String(run("cat \"" + path + "\"", true), StandardCharsets.UTF_8);
    }

    @Override
    public long size(String path) {
        Matcher m = SIZE.matcher(stat(path));
        if (!m.find()) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", path + ": no size in debugfs stat");
        }
        return Long.parseLong(m.group(1));
    }

    @Override
    public byte[] read(String path, int maxBytes) {
        long size = size(path);
        if (size > maxBytes) {
            throw new AmiforgeException(AmiforgeException.Kind.INVALID_INPUT, "FileTooLarge", path + " is " + size + " bytes");
        }
        byte[] data = run("cat \"" + path + "\"", true);
        if (data.length != size) {
            throw new AssertionError("debugfs cat " + path + " gave " + data.length + " bytes, stat says " + size);
        }
        return data;
    }
}
