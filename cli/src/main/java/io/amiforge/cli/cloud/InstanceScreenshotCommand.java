package io.amiforge.cli.cloud;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.boot.hvm.ScreenImage;
import io.amiforge.boot.hvm.TextFont;
import io.amiforge.cli.common.OutputPaths;
import io.amiforge.cloud.Cloud;
import io.amiforge.cloud.Ids;
import io.amiforge.x86.bios.Screen;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code instance screenshot ID --out FILE.png}: the VGA text screen at the end of the
 * instance's last boot as a 640x400 PNG (what EC2's GetConsoleScreenshot shows), plus its text
 * rows in the output. A PV instance has no screen; that is an error naming the instance.
 */
@Command(name = "screenshot", description = {"Save the VGA screen of the instance's last boot as a PNG.",
    "Example: amiforge instance screenshot i-0123456789abcdef0 --out screen.png"})
final class InstanceScreenshotCommand extends CloudCommandBase {

    @Parameters(index = "0", paramLabel = "INSTANCE", description = {"The instance.", "Example: i-0123456789abcdef0"})
    String instanceId;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE.png",
            description = {"Where to write the PNG (replaced if it exists).", "Example: --out screen.png"})
    Path out;

    @Override
    protected int run(Cloud cloud, String account, String region) throws IOException {
        OutputPaths.refuseInsideStore(out, global().store());
        Ids.require(Ids.Resource.INSTANCE, instanceId);
        Screen screen = cloud.consoleScreen(account, region, instanceId).orElseThrow(() -> new AmiforgeException(
                AmiforgeException.Kind.NOT_FOUND, "UnsupportedOperation", instanceId
                        + " has no console screen: it has not booted, or it boots paravirtual (PV has no VGA screen)"));
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new AmiforgeException(AmiforgeException.Kind.NOT_FOUND, "FileNotFound", parent + ": no such directory");
        }
        byte[] png = new ScreenImage(TextFont.generate()).encode(screen, "png");
        Path partial = out.resolveSibling(out.getFileName() + ".partial");
        Files.write(partial, png);
        Files.move(partial, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("InstanceId", instanceId);
        json.put("File", out.toString());
        json.put("Width", ScreenImage.WIDTH);
        json.put("Height", ScreenImage.HEIGHT);
        json.put("Bytes", png.length);
        json.put("Screen", screen.rows());
        print(json, "%s: %dx%d PNG of %s's screen (%d bytes)".formatted(out, ScreenImage.WIDTH, ScreenImage.HEIGHT,
                instanceId, png.length));
        return 0;
    }
}
