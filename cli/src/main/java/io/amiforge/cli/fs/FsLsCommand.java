package io.amiforge.cli.fs;

import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.imagefmt.ext.DirEntry;
import io.amiforge.imagefmt.ext.FileStat;
import io.amiforge.imagefmt.ext.FileType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge fs ls IMAGE PATH [--partition N]}: lists a directory (or describes a single
 * file) inside the image. JSON: {@code {"path":..,"entries":[{name,type,mode,size,uid,gid,mtime}]}}
 * with {@code mode} as an octal string such as {@code "0755"}.
 */
@Command(name = "ls", mixinStandardHelpOptions = true, description = {"List a directory in a filesystem inside a disk image.",
        "Example: amiforge fs ls disk.qcow2 /etc --partition 1"})
public final class FsLsCommand extends CommandBase {

    @Parameters(index = "0", paramLabel = "IMAGE", description = {"Disk image (raw or qcow2; probed by content unless -f names it).", "Example: disk.qcow2"})
    Path image;

    @Mixin
    ImageOptions imageOptions = new ImageOptions();


    @Parameters(index = "1", paramLabel = "PATH", defaultValue = "/", description = {"Path inside the filesystem (default /).", "Example: /boot"})
    String path;

    @Option(names = "--partition", paramLabel = "N", description = {"Partition number (1-based; 0 = whole disk); "
            + "default: whole disk if unpartitioned, else the only or first Linux partition.", "Example: --partition 2"})
    Integer partition;

    @Override
    protected int execute() {
        try (FsImages.Opened opened = FsImages.open(imageOptions.source(image), partition)) {
            FileStat st = opened.fs().stat(path);
            List<DirEntry> entries = st.type() == FileType.DIRECTORY ? opened.fs().list(path)
                    : List.of(new DirEntry(path.substring(path.lastIndexOf('/') + 1), st));
            List<Map<String, Object>> json = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            for (DirEntry e : entries) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("Name", e.name());
                m.put("Type", e.type().label());
                m.put("Mode", "%04o".formatted(e.mode()));
                m.put("Size", e.size());
                m.put("Uid", e.stat().uid());
                m.put("Gid", e.stat().gid());
                m.put("Mtime", e.stat().mtime().toString());
                json.add(m);
                text.append("%s %5d %5d %12d %s %s%n".formatted(modeString(e.type(), e.mode()), e.stat().uid(), e.stat().gid(),
                        e.size(), e.stat().mtime(), e.name()));
            }
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("Path", path);
            root.put("Entries", json);
            print(root, text.isEmpty() ? "" : text.toString());
        }
        return 0;
    }

    static String modeString(FileType type, int mode) {
        char t = switch (type) {
            case DIRECTORY -> 'd';
            case SYMLINK -> 'l';
            case CHAR_DEVICE -> 'c';
            case BLOCK_DEVICE -> 'b';
            case FIFO -> 'p';
            case SOCKET -> 's';
            default -> '-';
        };
        StringBuilder s = new StringBuilder().append(t);
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) {
            s.append((mode & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
        }
        if ((mode & 04000) != 0) {
            s.setCharAt(3, (mode & 0100) != 0 ? 's' : 'S');
        }
        if ((mode & 02000) != 0) {
            s.setCharAt(6, (mode & 010) != 0 ? 's' : 'S');
        }
        if ((mode & 01000) != 0) {
            s.setCharAt(9, (mode & 01) != 0 ? 't' : 'T');
        }
        return s.toString();
    }
}
