package io.amiforge.cli.boot;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.boot.hvm.HvmBoot;
import io.amiforge.boot.hvm.ScreenImage;
import io.amiforge.boot.hvm.TextFont;
import io.amiforge.boot.image.ImageBooter;
import io.amiforge.cli.common.CommandBase;
import io.amiforge.cli.common.ImageOptions;
import io.amiforge.imagefmt.format.ImageFormats;
import io.amiforge.x86.bios.DiskRead;
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
 * {@code amiforge boot IMAGE --virtualization hvm|pv [--max-instructions N] [--screenshot FILE.png]} (old
 * spelling {@code --mode}): boots a disk image in the simulator and prints the boot report (HVM: with
 * the VGA text screen, which {@code --screenshot} also renders as a PNG). Exit 0 when the boot reached a goal (kernel-handoff,
 * halted, protected-mode), 1 when it did not (budget-exhausted, failed).
 */
@Command(name = "boot", description = {"Simulates booting a disk image (hvm: BIOS + MBR; pv: PV-GRUB) and reports what happened.",
        "Example: amiforge boot disk.raw --virtualization hvm --json"})
public final class BootCommand extends CommandBase {

    /** Memory of the PV guest, in MiB. */
    private static final long PV_MEMORY_MIB = 1024;

    @Parameters(index = "0", paramLabel = "IMAGE",
            description = {"Disk image to boot (probed by content unless -f names it).", "Example: disk.qcow2"})
    Path image;

    @Mixin
    ImageOptions imageOptions = new ImageOptions();


    @Option(names = "--virtualization", paramLabel = "hvm|pv",
            description = {"How to boot: hvm (BIOS, MBR) or pv (PV-GRUB); 'paravirtual' is accepted for pv. Required.",
                "Example: --virtualization pv"})
    String mode;

    @Option(names = "--mode", hidden = true, paramLabel = "hvm|pv",
            description = {"Old spelling of --virtualization.", "Example: --mode hvm"})
    void mode(String value) {
        mode = value;
    }

    @Option(names = "--max-instructions", paramLabel = "N", description = {"Instruction budget for HVM (default ${DEFAULT-VALUE}).",
            "Example: --max-instructions 50000000"},
            defaultValue = "" + HvmBoot.Options.DEFAULT_MAX_INSTRUCTIONS)
    long maxInstructions;

    @Option(names = "--keys", paramLabel = "TEXT", description = {"Keystrokes the guest reads through INT 16h (\\n is Enter).",
            "Example: --keys 'linux single\\n'"})
    String keys;

    @Option(names = "--architecture", paramLabel = "x86_64|i386", defaultValue = "x86_64",
            description = {"PV: the instance architecture the kernel must match (default ${DEFAULT-VALUE}).", "Example: --architecture i386"})
    String architecture;

    @Option(names = "--follow-kernel",
            description = {"Keep running a Linux kernel's real-mode setup after the hand-off.", "Example: --follow-kernel"})
    boolean followKernel;

    @Option(names = "--screenshot", paramLabel = "FILE.png",
            description = {"HVM: write the final VGA text screen as a PNG.", "Example: --screenshot screen.png"})
    Path screenshot;

    @Override
    protected int execute() {
        if (mode == null) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "MissingParameter",
                    "missing --virtualization hvm|pv (example: amiforge boot disk.raw --virtualization hvm)");
        }
        if (mode.equalsIgnoreCase("paravirtual")) {
            mode = "pv";
        }
        if (!mode.equals("hvm") && !mode.equals("pv")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--virtualization must be hvm or pv, was '" + mode + "'");
        }
        if (screenshot != null && !mode.equals("hvm")) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--screenshot needs --mode hvm (a PV guest has no VGA screen)");
        }
        if (maxInstructions < 1) {
            throw new AmiforgeException(AmiforgeException.Kind.USAGE, "InvalidParameterValue",
                    "--max-instructions must be at least 1, was " + maxInstructions);
        }
        BootReport report;
        try (BlockDevice disk = ImageFormats.open(imageOptions.source(image), true)) {
            if (mode.equals("pv")) {
                report = ImageBooter.pv(disk, architecture, PV_MEMORY_MIB);
            } else {
                String script = keys == null ? "" : keys.replace("\\n", "\n");
                report = ImageBooter.hvm(disk, HvmBoot.Options.defaults().withMaxInstructions(maxInstructions)
                        .withKeyboard(script).withFollowKernel(followKernel));
            }
        }
        if (screenshot != null && report.screen() != null) {
            new ScreenImage(TextFont.generate()).writePng(report.screen(), screenshot);
        }
        print(toJson(report), toText(report));
        return switch (report.result()) {
            case KERNEL_HANDOFF, HALTED, PROTECTED_MODE -> 0;
            case BUDGET_EXHAUSTED, FAILED -> 1;
        };
    }

    /** The contract's JSON shape. */
    public static Map<String, Object> toJson(BootReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", r.mode());
        m.put("result", r.result().wireName());
        List<Map<String, Object>> stages = new ArrayList<>();
        for (BootReport.Stage s : r.stages()) {
            Map<String, Object> sm = new LinkedHashMap<>();
            sm.put("name", s.name());
            sm.put("detail", s.detail());
            stages.add(sm);
        }
        m.put("stages", stages);
        m.put("console", r.console());
        if (r.screen() != null) {
            m.put("screen", r.screen().rows());
        }
        if (r.kernel() == null) {
            m.put("kernel", null);
        } else {
            Map<String, Object> k = new LinkedHashMap<>();
            k.put("path", r.kernel().path());
            k.put("version", r.kernel().version());
            k.put("cmdline", r.kernel().cmdline());
            k.put("format", r.kernel().format());
            k.putAll(r.kernel().attributes());
            m.put("kernel", k);
        }
        m.put("instructions", r.instructions());
        List<Map<String, Object>> reads = new ArrayList<>();
        for (DiskRead d : r.diskReads()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("lba", d.lba());
            dm.put("sectors", d.sectors());
            dm.put("destination", d.destination());
            reads.add(dm);
        }
        m.put("diskReads", reads);
        m.put("error", r.error());
        if (!r.details().isEmpty()) {
            m.put("details", r.details());
        }
        return m;
    }

    static String toText(BootReport r) {
        StringBuilder b = new StringBuilder();
        b.append("result: ").append(r.result().wireName()).append('\n');
        if (r.error() != null) {
            b.append("error: ").append(r.error()).append('\n');
        }
        b.append("instructions: ").append(r.instructions()).append('\n');
        b.append("disk reads: ").append(r.diskReads().size()).append('\n');
        for (BootReport.Stage s : r.stages()) {
            b.append("stage: ").append(s.name()).append(s.detail() == null ? "" : " (" + s.detail() + ")").append('\n');
        }
        if (r.kernel() != null) {
            b.append("kernel: ").append(r.kernel().version()).append('\n');
            b.append("cmdline: ").append(r.kernel().cmdline()).append('\n');
            b.append("boot protocol: ").append(r.kernel().attributes().get("bootProtocol")).append('\n');
        }
        b.append("console:\n").append(r.console());
        if (r.screen() != null) {
            b.append(r.console().isEmpty() || r.console().endsWith("\n") ? "" : "\n").append("screen:\n")
                    .append(r.screen().text()).append('\n');
        }
        return b.toString();
    }
}
