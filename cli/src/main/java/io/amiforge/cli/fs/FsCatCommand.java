package io.amiforge.cli.fs;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.cli.common.JsonBytes;
import io.amiforge.imagefmt.ext.ExtFileSystem;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code amiforge fs cat IMAGE PATH [--partition N]}: writes the raw bytes of a regular file
 * (symbolic links followed) to standard output, streamed in 1 MiB pieces; with {@code --json},
 * one JSON document with the bytes in base64 ({@link JsonBytes}).
 */
@Command(name = "cat", mixinStandardHelpOptions = true, description = {"Write a file from a filesystem inside a disk image to stdout.",
        "Example: amiforge fs cat disk.qcow2 /etc/hostname --partition 1"})
public final class FsCatCommand extends CommandBase {

    /** Where the bytes go: {@code System.out} (a test may replace it). */
    static volatile PrintStream target;

    @Parameters(index = "0", paramLabel = "IMAGE", description = {"Disk image (raw or qcow2; probed by content unless -f names it).", "Example: disk.qcow2"})
    Path image;

    @Mixin
    ImageOptions imageOptions = new ImageOptions();


    @Parameters(index = "1", paramLabel = "PATH", description = {"File inside the filesystem.", "Example: /etc/hostname"})
    String path;

    @Option(names = "--partition", paramLabel = "N", description = {"Partition number (1-based; 0 = whole disk); "
            + "default: whole disk if unpartitioned, else the only or first Linux partition.", "Example: --partition 2"})
    Integer partition;

    @Override
    protected int execute() throws IOException {
        try (FsImages.Opened opened = FsImages.open(imageOptions.source(image), partition)) {
            ExtFileSystem.ExtFile file = opened.fs().openFile(path);
            if (global().json()) { // one JSON document: the file's bytes in base64, never raw bytes beside it
                Map<String, Object> fields = new LinkedHashMap<>();
                fields.put("Image", image.toString());
                fields.put("Path", path);
                fields.put("Size", file.size());
                try (JsonBytes json = JsonBytes.begin(out(), fields, "ContentBase64")) {
                    copy(file, json.content());
                }
                return 0;
            }
            OutputStream out = target != null ? target : System.out;
            copy(file, out);
        }
        return 0;
    }

    private void copy(ExtFileSystem.ExtFile file, OutputStream out) throws IOException {
        byte[] buf = new byte[1 << 20];
        long pos = 0;
        while (pos < file.size()) {
            int n = file.read(pos, buf, 0, buf.length);
            if (n <= 0) {
                throw new AmiforgeException(AmiforgeException.Kind.FAILED, "IOError", image + ": " + path + ": short read at " + pos);
            }
            out.write(buf, 0, n);
            pos += n;
        }
        out.flush();
    }
}
