package io.amiforge.boot.pv;

import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PV-GRUB, as AWS's PV-GRUB kernels (GRUB 0.97 on Xen's Mini-OS) boot a paravirtual AMI: find
 * the root device ({@code (hd0)} for an unpartitioned volume, {@code (hd0,0)} for the first
 * partition), read {@code /boot/grub/menu.lst} there (following symlinks, as on Amazon Linux
 * where it points to {@code grub.conf}), choose the {@code default} entry, and load its kernel
 * and initrd as a Xen PV guest; when an entry fails, try the {@code fallback} entries in
 * order. The console shows what PV-GRUB prints; the report says which entry booted and why
 * the others did not. Never throws for anything in the guest's data.
 */
public final class PvGrub {

    /** Largest kernel file read (a distribution bzImage is about 8 MiB). */
    public static final int MAX_KERNEL_FILE = 256 << 20;
    /** Largest decompressed kernel ELF. */
    public static final int MAX_KERNEL_ELF = 768 << 20;
    /** Where PV-GRUB looks for its configuration, in order. */
    public static final List<String> CONFIG_PATHS = List.of("/boot/grub/menu.lst", "/grub/menu.lst");

    private PvGrub() {
    }

    /** PV-boots {@code disk}; every outcome, including every guest failure, is a report with mode "pv". */
    public static BootReport boot(BlockDevice disk, PvBootOptions options) {
        Session session = new Session(disk, options);
        try {
            return session.run();
        } catch (PvBootException e) {
            return session.failed(e.getMessage());
        } catch (RuntimeException e) {
            return session.failed("PV-GRUB stopped: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** The state of one boot. */
    private static final class Session {
        final BlockDevice disk;
        final PvBootOptions options;
        final StringBuilder console = new StringBuilder();
        final List<BootReport.Stage> stages = new ArrayList<>();
        final Map<String, Object> details = new LinkedHashMap<>();
        final List<Map<String, Object>> tried = new ArrayList<>();
        final Map<RootDevice, GuestFileSystem> mounted = new HashMap<>();
        List<BlockDevice> partitions = List.of();

        Session(BlockDevice disk, PvBootOptions options) {
            this.disk = disk;
            this.options = options;
        }

        BootReport run() {
            long mem = options.memoryMiB();
            console.append("Xen Minimal OS (pv-grub)\n\n    GNU GRUB  version 0.97  (").append(mem * 1024)
                    .append("K lower / 0K upper memory)\n\n");
            stage("PV-GRUB started", options.architecture().wireName() + ", " + mem + " MiB, volume " + disk.name());
            details.put("architecture", options.architecture().wireName());
            details.put("memoryMiB", mem);

            try {
                List<BlockDevice> found = options.partitions().apply(disk);
                partitions = found == null ? List.of() : List.copyOf(found);
            } catch (RuntimeException e) {
                throw new PvBootException("InvalidPartitionTable", disk.name(), "cannot read the partition table: " + e.getMessage());
            }
            RootDevice bootDevice = partitions.isEmpty() ? new RootDevice(0, RootDevice.WHOLE_DISK) : new RootDevice(0, 0);
            stage("root device", partitions.isEmpty() ? "(hd0): the volume has no partition table, using it whole"
                    : "(hd0,0): first of " + partitions.size() + " partition(s)");
            details.put("bootDevice", bootDevice.toString());
            // AWS ships two PV-GRUB AKIs per architecture: "hd0" for unpartitioned volumes, "hd00" for partitioned ones.
            details.put("pvGrubAki", partitions.isEmpty() ? "hd0" : "hd00");

            GuestFileSystem bootFs = mount(bootDevice, "the volume PV-GRUB boots from", 0);
            GuestPaths.Resolved config = null;
            for (String p : CONFIG_PATHS) {
                try {
                    config = GuestPaths.resolve(bootFs, p);
                    break;
                } catch (PvBootException e) {
                    if (!"FileNotFound".equals(e.code())) {
                        throw new PvBootException(e.code(), bootDevice + p, "Error 15: File not found: " + e.getMessage());
                    }
                }
            }
            if (config == null) {
                console.append("\nError 15: File not found\n");
                throw new PvBootException("MenuLstNotFound", bootDevice + CONFIG_PATHS.getFirst(), "Error 15: File not found: "
                        + "PV-GRUB found neither " + String.join(" nor ", CONFIG_PATHS) + " on " + bootDevice
                        + "; an AMI for PV-GRUB needs a GRUB-legacy menu.lst there");
            }
            String configName = bootDevice + config.path();
            if (config.type() != GuestFileSystem.FileType.REGULAR) {
                throw new PvBootException("MenuLstNotFound", configName, "menu.lst is a " + config.type().name().toLowerCase()
                        + ", not a regular file");
            }
            byte[] text = readFile(bootFs, config.path(), MenuLstParser.MAX_BYTES, configName);
            stage("menu.lst read", configName + " (" + text.length + " bytes)"
                    + (config.links().isEmpty() ? "" : " via " + String.join(", ", config.links())));
            details.put("menuLst", configName);
            MenuLst menu = MenuLstParser.parse(new String(text, StandardCharsets.UTF_8));
            Map<String, Object> menuReport = new LinkedHashMap<>();
            menuReport.put("entries", menu.entries().size());
            menuReport.put("default", menu.defaultSaved() ? "saved" : menu.defaultEntry());
            menuReport.put("fallback", menu.fallback());
            menuReport.put("timeout", menu.timeout());
            menuReport.put("hiddenmenu", menu.hiddenMenu());
            menuReport.put("skipped", menu.diagnostics().stream().map(MenuLst.Diagnostic::toString).toList());
            details.put("menu", menuReport);
            if (menu.entries().isEmpty()) {
                throw new PvBootException("EmptyMenuLst", configName, (text.length == 0 ? "the file is empty" : "no 'title' entries in "
                        + text.length + " bytes") + ": PV-GRUB has nothing to boot and stops at its prompt");
            }
            stage("menu.lst parsed", menu.entries().size() + " entr" + (menu.entries().size() == 1 ? "y" : "ies")
                    + (menu.diagnostics().isEmpty() ? "" : ", " + menu.diagnostics().size() + " line(s) skipped: "
                    + menu.diagnostics().getFirst() + (menu.diagnostics().size() > 1 ? ", ..." : "")));

            int def = chooseDefault(menu, bootFs, bootDevice);
            if (!menu.hiddenMenu()) {
                for (MenuLst.Entry e : menu.entries()) {
                    console.append(e.index() == def ? " * " : "   ").append(e.title()).append('\n');
                }
                if (menu.timeout() >= 0) {
                    console.append("\n   The highlighted entry will be booted automatically in ").append(menu.timeout())
                            .append(" seconds.\n");
                }
                console.append('\n');
            }
            List<Integer> order = new ArrayList<>();
            order.add(def);
            for (int f : menu.fallback()) {
                if (f >= menu.entries().size()) {
                    tried.add(Map.of("entry", f, "outcome", "skipped", "reason", "fallback " + f + " names no entry (there are "
                            + menu.entries().size() + ")"));
                } else if (!order.contains(f)) {
                    order.add(f);
                }
            }
            details.put("entries", tried);
            List<String> reasons = new ArrayList<>();
            for (int i = 0; i < order.size(); i++) {
                MenuLst.Entry entry = menu.entries().get(order.get(i));
                try {
                    return bootEntry(entry, bootDevice, configName, i == 0 ? "default" : "fallback");
                } catch (PvBootException e) {
                    Map<String, Object> t = new LinkedHashMap<>();
                    t.put("entry", entry.index());
                    t.put("title", entry.title());
                    t.put("outcome", "failed");
                    t.put("reason", e.getMessage());
                    tried.add(t);
                    reasons.add("entry " + entry.index() + " '" + entry.title() + "': " + e.getMessage());
                    console.append("\nError: ").append(e.getMessage()).append('\n');
                    stage("entry failed", "entry " + entry.index() + " '" + entry.title() + "'");
                    if (i + 1 < order.size()) {
                        console.append("\n    Falling back to entry ").append(order.get(i + 1)).append(".\n\n");
                    } else {
                        console.append("\n    Failed to boot default entries.\n");
                    }
                }
            }
            throw new PvBootException("NoBootableEntry", null, "no menu.lst entry booted: " + String.join("; ", reasons));
        }

        int chooseDefault(MenuLst menu, GuestFileSystem fs, RootDevice bootDevice) {
            int def = menu.defaultEntry();
            String why = "default " + def;
            if (menu.defaultSaved()) {
                def = 0;
                why = "default saved: no /boot/grub/default, entry 0";
                try {
                    GuestPaths.Resolved r = GuestPaths.resolve(fs, "/boot/grub/default");
                    String s = new String(readFile(fs, r.path(), 4096, bootDevice + r.path()), StandardCharsets.US_ASCII).strip();
                    String first = s.isEmpty() ? "" : s.split("\\s+")[0];
                    if (first.matches("[0-9]{1,6}")) {
                        def = Integer.parseInt(first);
                        why = "default saved: /boot/grub/default says " + def;
                    } else {
                        why = "default saved: /boot/grub/default holds no entry number, entry 0";
                    }
                } catch (PvBootException e) {
                    // GRUB falls back to entry 0 when there is no saved default.
                }
            }
            if (def >= menu.entries().size()) {
                why += " names no entry (there are " + menu.entries().size() + "), so GRUB uses entry 0";
                def = 0;
            }
            stage("entry selected", why + ": '" + menu.entries().get(def).title() + "'");
            details.put("defaultEntry", def);
            return def;
        }

        BootReport bootEntry(MenuLst.Entry entry, RootDevice bootDevice, String configName, String role) {
            console.append("  Booting '").append(entry.title()).append("'\n\n");
            String entryWhere = "menu.lst line " + entry.line() + " (entry " + entry.index() + ")";
            if (!entry.problems().isEmpty()) {
                MenuLst.Diagnostic d = entry.problems().getFirst();
                throw new PvBootException("InvalidMenuLst", "menu.lst line " + d.line(), d.message());
            }
            RootDevice root = bootDevice;
            if (entry.root() != null) {
                root = entry.root();
                console.append("root ").append(root).append('\n');
            }
            if (entry.kernel() == null) {
                throw new PvBootException("InvalidMenuLst", entryWhere, "Error 8: Kernel must be loaded before booting: the entry '"
                        + entry.title() + "' has no kernel line");
            }
            MenuLst.FileCommand k = entry.kernel();
            RootDevice kernelDevice = k.device() != null ? k.device() : root;
            GuestFileSystem fs = mount(kernelDevice, "root", k.device() != null ? k.line() : entry.rootLine());
            if (entry.root() != null && k.device() == null) {
                console.append(" Filesystem type is ").append(fs.grubTypeName()).append(", ")
                        .append(root.wholeDisk() ? "using whole disk" : "partition " + root.partition()).append('\n');
            }
            console.append("kernel ").append(k.path()).append(k.args().isEmpty() ? "" : " " + k.args()).append('\n');
            String kernelWhere = "menu.lst line " + k.line() + ": kernel " + kernelDevice + k.path();
            long memBytes = options.memoryMiB() << 20;
            byte[] kernelBytes = readGuestFile(fs, k.path(), (int) Math.min(MAX_KERNEL_FILE, memBytes), kernelWhere);
            KernelImage kernel;
            try {
                kernel = KernelImage.read(k.path(), kernelBytes, (int) Math.min(MAX_KERNEL_ELF, memBytes));
            } catch (PvBootException e) {
                throw new PvBootException(e.code(), "menu.lst line " + k.line(), "Error 13: Invalid or unsupported executable format: "
                        + e.getMessage());
            }
            kernelBytes = null;
            if (kernel.format().equals("bzImage")) {
                console.append(String.format("   [Linux-bzImage, setup=0x%x, size=0x%x]\n", kernel.setupBytes(),
                        kernel.fileSize() - kernel.setupBytes()));
            } else {
                console.append(String.format("   [Xen-ELF%s, entry=0x%x, size=0x%x]\n", kernel.elf().is64() ? "64" : "32",
                        kernel.elf().entry(), kernel.fileSize()));
            }
            stage("kernel loaded", k.path() + " (" + kernel.format() + (kernel.compression() == PayloadCompression.NONE ? ""
                    : ", " + kernel.compression().wireName() + " payload") + ", " + kernel.fileSize() + " bytes)");
            try {
                XenPvCheck.check(kernel, options.architecture());
            } catch (PvBootException e) {
                throw new PvBootException(e.code(), "menu.lst line " + k.line(), e.getMessage());
            }
            stage("Xen PV kernel", "GUEST_OS " + kernel.notes().string(XenNoteType.GUEST_OS) + ", XEN_VERSION "
                    + kernel.notes().string(XenNoteType.XEN_VERSION) + ", from " + kernel.notes().source());

            byte[] initrd = null;
            String initrdPath = null;
            if (entry.initrd() != null) {
                MenuLst.FileCommand i = entry.initrd();
                RootDevice initrdDevice = i.device() != null ? i.device() : root;
                GuestFileSystem ifs = mount(initrdDevice, "root", i.line());
                console.append("initrd ").append(i.path()).append('\n');
                initrdPath = i.path();
                initrd = readGuestFile(ifs, i.path(), (int) Math.min(Integer.MAX_VALUE - 8, memBytes),
                        "menu.lst line " + i.line() + ": initrd " + initrdDevice + i.path());
            }
            DomainBuilder.Domain domain;
            try {
                domain = DomainBuilder.build(kernel, initrd, initrdPath, k.args(), options.architecture(), options.memoryMiB());
            } catch (PvBootException e) {
                throw new PvBootException(e.code(), "menu.lst line " + k.line(), e.getMessage());
            }
            if (initrd != null) {
                DomainBuilder.Region r = domain.regions().stream().filter(x -> x.name().startsWith("initrd")).findFirst().orElseThrow();
                console.append(String.format("   [Linux-initrd @ 0x%x, 0x%x bytes]\n", r.pseudoPhysical(), initrd.length));
                stage("initrd loaded", initrdPath + " (" + initrd.length + " bytes)");
            }
            if (entry.saveDefault()) {
                details.put("savedefault", "entry " + entry.index() + " asks for savedefault; PV-GRUB does not write to the volume");
            }
            stage("start_info built", domain.startInfo().magic() + ", " + domain.startInfo().nrPages() + " pages"
                    + (domain.startInfo().cmdLineTruncated() ? ", command line truncated to "
                    + (StartInfo.MAX_GUEST_CMDLINE - 1) + " bytes" : ""));
            stage("kernel-handoff", String.format("entry 0x%x, start_info at 0x%x", domain.entry(), domain.startInfoVirtual()));

            Map<String, Object> t = new LinkedHashMap<>();
            t.put("entry", entry.index());
            t.put("title", entry.title());
            t.put("outcome", "booted");
            t.put("as", role);
            tried.add(t);
            details.put("bootedEntry", entry.index());
            details.put("bootedTitle", entry.title());
            details.put("memoryLayout", domain.regions().stream().map(DomainBuilder.Region::asReport).toList());
            details.put("startInfo", domain.startInfo().asReport());
            Map<String, Object> regs = new LinkedHashMap<>();
            regs.put(options.architecture() == PvBootOptions.Architecture.X86_64 ? "rip" : "eip", StartInfo.hex(domain.entry()));
            regs.put(options.architecture() == PvBootOptions.Architecture.X86_64 ? "rsi" : "esi", StartInfo.hex(domain.startInfoVirtual()));
            regs.put(options.architecture() == PvBootOptions.Architecture.X86_64 ? "rsp" : "esp", StartInfo.hex(domain.stackTop()));
            details.put("registers", regs);
            if (!kernel.elf().warnings().isEmpty()) {
                details.put("kernelWarnings", kernel.elf().warnings());
            }

            Map<String, Object> attrs = new LinkedHashMap<>();
            attrs.put("entry", StartInfo.hex(domain.entry()));
            attrs.put("virtBase", StartInfo.hex(domain.virtBase()));
            attrs.put("elfClass", kernel.elf().is64() ? "ELF64" : "ELF32");
            attrs.put("compression", kernel.compression().wireName());
            attrs.put("xenNotesSource", kernel.notes().source());
            attrs.put("xenNotes", kernel.notes().asReport());
            attrs.putAll(kernel.facts());
            String cmdline = new String(domain.startInfo().cmdLine(), StandardCharsets.UTF_8);
            BootReport.Kernel reportKernel = new BootReport.Kernel(kernelDevice + k.path(), kernel.version(), cmdline,
                    kernel.format(), attrs);
            return new BootReport("pv", BootReport.Result.KERNEL_HANDOFF, stages, console.toString(), reportKernel, 0,
                    List.of(), null, details);
        }

        GuestFileSystem mount(RootDevice dev, String what, int line) {
            GuestFileSystem fs = mounted.get(dev);
            if (fs != null) {
                return fs;
            }
            String where = line > 0 ? "menu.lst line " + line : dev.toString();
            if (dev.disk() != 0) {
                console.append("\nError 21: Selected disk does not exist\n");
                throw new PvBootException("InvalidRootDevice", where, "Error 21: Selected disk does not exist: menu.lst names "
                        + dev + " but PV-GRUB sees only the root volume, as hd0");
            }
            BlockDevice target;
            if (dev.wholeDisk()) {
                if (!partitions.isEmpty()) {
                    console.append(" Filesystem type unknown, using whole disk\n\nError 17: Cannot mount selected partition\n");
                    throw new PvBootException("RootDeviceMismatch", where, "Error 17: Cannot mount selected partition: menu.lst says root "
                            + dev + " but the volume has a partition table (" + partitions.size()
                            + " partition(s)); use root (hd0,0) for its first partition");
                }
                target = disk;
            } else {
                if (partitions.isEmpty()) {
                    console.append("\nError 22: No such partition\n");
                    throw new PvBootException("RootDeviceMismatch", where, "Error 22: No such partition: menu.lst says root " + dev
                            + " but the volume has no partition table; use root (hd0)");
                }
                if (dev.partition() >= partitions.size()) {
                    console.append("\nError 22: No such partition\n");
                    throw new PvBootException("RootDeviceMismatch", where, "Error 22: No such partition: menu.lst says root " + dev
                            + " but the volume has only " + partitions.size() + " partition(s), (hd0,0) to (hd0,"
                            + (partitions.size() - 1) + ")");
                }
                target = partitions.get(dev.partition());
            }
            try {
                fs = options.fileSystem().apply(target);
            } catch (RuntimeException e) {
                console.append("\nError 17: Cannot mount selected partition\n");
                throw new PvBootException("CannotMountRoot", where, "Error 17: Cannot mount selected partition: no filesystem PV-GRUB"
                        + " can read on " + dev + " (" + target.name() + "): " + e.getMessage());
            }
            if (fs == null) {
                throw new PvBootException("CannotMountRoot", where, "Error 17: Cannot mount selected partition " + dev);
            }
            mounted.put(dev, fs);
            return fs;
        }

        byte[] readGuestFile(GuestFileSystem fs, String path, int max, String where) {
            GuestPaths.Resolved r;
            try {
                r = GuestPaths.resolve(fs, path);
            } catch (PvBootException e) {
                console.append("\nError 15: File not found\n");
                throw new PvBootException(e.code(), where, "Error 15: File not found: " + e.getMessage());
            }
            if (r.type() != GuestFileSystem.FileType.REGULAR) {
                throw new PvBootException("FileNotFound", where, path + " is a " + r.type().name().toLowerCase() + ", not a regular file");
            }
            return readFile(fs, r.path(), max, where);
        }

        byte[] readFile(GuestFileSystem fs, String path, int max, String where) {
            try {
                long size = fs.size(path);
                if (size > max) {
                    throw new PvBootException("FileTooLarge", where, path + " is " + size + " bytes; at most " + max
                            + " fit (Error 28: Selected item cannot fit into memory)");
                }
                return fs.read(path, max);
            } catch (PvBootException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new PvBootException("GuestFileSystemError", where, "cannot read " + path + ": " + e.getMessage());
            }
        }

        void stage(String name, String detail) {
            stages.add(new BootReport.Stage(name, detail));
        }

        BootReport failed(String error) {
            stage("failed", error);
            return new BootReport("pv", BootReport.Result.FAILED, stages, console.toString(), null, 0, List.of(), error, details);
        }
    }
}
