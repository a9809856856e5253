package io.amiforge.boot.hvm;

import io.amiforge.blockdev.AmiforgeException;
import io.amiforge.blockdev.BlockDevice;
import io.amiforge.boot.BootReport;
import io.amiforge.x86.bios.Bios;
import io.amiforge.x86.bios.Console;
import io.amiforge.x86.bios.DiskDrive;
import io.amiforge.x86.bios.DiskGeometry;
import io.amiforge.x86.bios.DiskRead;
import io.amiforge.x86.bios.Keyboard;
import io.amiforge.x86.bios.RunBudget;
import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.CpuHost;
import io.amiforge.x86.cpu.Memory;
import io.amiforge.x86.cpu.StopReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Boots a disk the way a PC BIOS does an HVM instance's root device: LBA 0 to 0000:7C00 (the
 * 0x55AA signature is required), DL=80h, and run. The boot ends with HLT with interrupts off
 * ({@code halted}), CR0.PE being set ({@code protected-mode}), the jump into a Linux kernel's
 * real-mode setup ({@code kernel-handoff}, with version string, boot protocol and command
 * line), the instruction budget or the wall-clock limit ({@code budget-exhausted}) or a fault
 * the BIOS cannot handle ({@code failed}, with the reason), or a boot loader's own error on the
 * screen while it waits for a key ({@code failed}, quoting it). The project's own
 * {@link TinyKernel} is always followed into; other kernels only with
 * {@link Options#followKernel()}.
 *
 * <p>A guest cannot harm the host: memory is bounded by {@link Options#memoryBytes()}; work by
 * the instruction budget, which the BIOS's disk transfers draw on too
 * ({@link RunBudget#SECTOR_COST} instructions a sector); time by {@link Options#timeLimit()},
 * checked between slices of {@link RunBudget#SLICE} instructions; guest disk writes go to an
 * in-memory overlay; every failure is a report. The disk is read directly and synchronously,
 * on the calling thread.
 */
public final class HvmBoot {

    private HvmBoot() {
    }

    /**
     * Boot options.
     *
     * @param maxInstructions instruction budget (at least 1), drawn on by the CPU and by BIOS work
     * @param keyboard        keys INT 16h returns, in order ("" for none)
     * @param followKernel    keep executing a foreign kernel's setup code after the hand-off
     * @param memoryBytes     guest memory (1 MiB + 64 KiB to 4 GiB)
     * @param timeLimit       wall-clock limit of the run (positive)
     * @param protectedMode   execute protected mode (segments through the GDT, interrupts through the
     *                        IDT) instead of stopping at CR0.PE with {@code protected-mode}
     */
    public record Options(long maxInstructions, String keyboard, boolean followKernel, long memoryBytes,
            Duration timeLimit, boolean protectedMode) {

        public static final long DEFAULT_MAX_INSTRUCTIONS = 500_000_000L;
        public static final long DEFAULT_MEMORY = 256L << 20;
        /** Default wall-clock limit: several times what the default budget takes on a slow host. */
        public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(30);

        public Options {
            if (maxInstructions < 1) {
                throw new IllegalArgumentException("maxInstructions must be at least 1, was " + maxInstructions);
            }
            if (memoryBytes < Memory.LOW_LIMIT || memoryBytes > (1L << 32)) {
                throw new IllegalArgumentException("memoryBytes must be 1 MiB + 64 KiB to 4 GiB, was " + memoryBytes);
            }
            if (timeLimit == null || timeLimit.isNegative() || timeLimit.isZero()) {
                throw new IllegalArgumentException("timeLimit must be positive, was " + timeLimit);
            }
            keyboard = keyboard == null ? "" : keyboard;
        }

        public static Options defaults() {
            return new Options(DEFAULT_MAX_INSTRUCTIONS, "", false, DEFAULT_MEMORY, DEFAULT_TIME_LIMIT, true);
        }

        public Options withMaxInstructions(long n) {
            return new Options(n, keyboard, followKernel, memoryBytes, timeLimit, protectedMode);
        }

        public Options withKeyboard(String keys) {
            return new Options(maxInstructions, keys, followKernel, memoryBytes, timeLimit, protectedMode);
        }

        public Options withFollowKernel(boolean follow) {
            return new Options(maxInstructions, keyboard, follow, memoryBytes, timeLimit, protectedMode);
        }

        public Options withMemoryBytes(long bytes) {
            return new Options(maxInstructions, keyboard, followKernel, bytes, timeLimit, protectedMode);
        }

        public Options withTimeLimit(Duration limit) {
            return new Options(maxInstructions, keyboard, followKernel, memoryBytes, limit, protectedMode);
        }

        public Options withProtectedMode(boolean execute) {
            return new Options(maxInstructions, keyboard, followKernel, memoryBytes, timeLimit, execute);
        }
    }

    /** Boots {@code disk} with default options. */
    public static BootReport boot(BlockDevice disk) {
        return boot(disk, Options.defaults());
    }

    /** Boots {@code disk}; never throws for anything the guest does. */
    public static BootReport boot(BlockDevice disk, Options options) {
        Run run = new Run(disk, options);
        try {
            return run.boot();
        } catch (RuntimeException e) {
            if (e instanceof AmiforgeException a && run.cpu.instructions() == 0) {
                throw a; // the disk itself failed before the guest ran
            }
            return run.report(BootReport.Result.FAILED, "simulator error at %04X:%04X after %d instructions: %s"
                    .formatted(run.cpu.seg(Cpu.CS), run.cpu.ip(), run.cpu.instructions(), e));
        }
    }

    /** Empty keyboard polls after which a loader showing an error on the screen is taken to wait for a key. */
    static final long LOADER_WAIT_POLLS = 256;

    private static final class Run implements CpuHost {
        private final Options options;
        private final Memory mem;
        private final DiskDrive drive;
        private final Console console = new Console();
        private final Keyboard keyboard;
        private final RunBudget budget;
        private final Bios bios;
        private final Cpu cpu;
        private final List<BootReport.Stage> stages = new ArrayList<>();
        private final Map<String, Object> details = new LinkedHashMap<>();
        private SetupHeader kernel;
        private boolean vbrSeen, loaderSeen, entered32;
        private String loaderError;

        Run(BlockDevice disk, Options options) {
            this.options = options;
            this.mem = new Memory(options.memoryBytes());
            this.drive = new DiskDrive(disk);
            this.budget = new RunBudget(options.maxInstructions(), options.timeLimit());
            this.keyboard = new Keyboard(options.keyboard());
            this.bios = new Bios(mem, drive, keyboard, console, budget);
            this.cpu = new Cpu(mem, this);
            cpu.setProtectedMode(options.protectedMode());
        }

        BootReport boot() {
            bios.install(cpu);
            DiskGeometry g = drive.geometry();
            stages.add(new BootReport.Stage("BIOS POST", "%d MiB memory; disk 0x80 '%s': %d sectors, CHS %d/%d/%d"
                    .formatted(mem.size() >> 20, drive.name(), g.sectors(), g.cylinders(), g.heads(),
                            g.sectorsPerTrack())));
            byte[] mbr = new byte[512];
            if (!drive.read(0, mbr)) {
                bios.printOnScreen("No bootable device.\n");
                return report(BootReport.Result.FAILED, "disk '" + drive.name() + "' is smaller than one sector ("
                        + drive.sectors() * 512 + " bytes usable); expected a 512-byte master boot record at LBA 0");
            }
            int sig = (mbr[510] & 0xFF) | (mbr[511] & 0xFF) << 8;
            if (sig != 0xAA55) {
                bios.printOnScreen("No bootable device.\n");
                return report(BootReport.Result.FAILED, "LBA 0 of '%s' has boot signature 0x%04X at offset 510; expected 0xAA55"
                        .formatted(drive.name(), sig));
            }
            bios.recordRead(0, 1, "0000:7C00");
            mem.load(0x7C00, mbr, 0, 512);
            stages.add(new BootReport.Stage("MBR loaded", "LBA 0 -> 0000:7C00"));
            bios.onDiskRead(this::onRead);
            cpu.setSeg(Cpu.CS, 0);
            cpu.setSeg(Cpu.DS, 0);
            cpu.setSeg(Cpu.ES, 0);
            cpu.setSeg(Cpu.SS, 0);
            cpu.setReg16(Cpu.ESP, 0x7C00);
            cpu.setReg32(Cpu.EDX, 0x80);
            cpu.setIp(0x7C00);
            cpu.setFlags(Cpu.IF);
            cpu.setA20(true);
            return finish(run());
        }

        // slices of the budget; the wall clock is read once per slice, never per instruction
        private StopReason run() {
            budget.start();
            StopReason why = StopReason.BUDGET;
            long slice;
            while ((slice = budget.nextSlice(cpu.instructions())) > 0) {
                why = cpu.run(slice);
                if (why != StopReason.BUDGET || budget.checkClock()) {
                    break;
                }
                if (kernel == null && keyboard.emptyPolls() >= LOADER_WAIT_POLLS && (loaderError = LoaderError.find(bios.screen())) != null) {
                    return StopReason.FAILED;
                }
            }
            return why;
        }

        private void onRead(DiskRead read) {
            if (!vbrSeen && read.destination().equals("0000:7C00") && read.lba() != 0) {
                vbrSeen = true;
                stages.add(new BootReport.Stage("VBR loaded", "LBA " + read.lba() + " -> 0000:7C00"));
            } else if (!loaderSeen && !read.destination().equals("0000:7C00")) {
                loaderSeen = true;
                stages.add(new BootReport.Stage("loader stage", "reading LBA " + read.lba() + " x" + read.sectors()
                        + " -> " + read.destination()));
            }
        }

        private BootReport finish(StopReason why) {
            String detail = cpu.stopDetail();
            BootReport.Result result = switch (why) {
                case BUDGET -> BootReport.Result.BUDGET_EXHAUSTED;
                case HALTED -> BootReport.Result.HALTED;
                case PROTECTED_MODE -> BootReport.Result.PROTECTED_MODE;
                case KERNEL_HANDOFF -> BootReport.Result.KERNEL_HANDOFF;
                case FAILED -> BootReport.Result.FAILED;
            };
            if (why == StopReason.BUDGET) {
                detail = budget.exhausted(cpu);
            }
            if (kernel == null && loaderError == null && (why == StopReason.BUDGET || why == StopReason.HALTED)) {
                loaderError = LoaderError.find(bios.screen());
            }
            if (loaderError != null) {
                // the loader's own error is on the screen and it waits for a key (or retries the same entry)
                result = BootReport.Result.FAILED;
                details.put("stop", detail != null ? detail : "the boot loader waits for a key");
                detail = "the boot loader could not start the kernel: '%s' (its error on the screen; it then waited for a key,"
                        .formatted(loaderError) + " and the keyboard script is empty)";
                stages.add(new BootReport.Stage("boot loader error", loaderError));
                return report(result, detail);
            }
            if (why == StopReason.PROTECTED_MODE) {
                stages.add(new BootReport.Stage("protected mode", detail));
                if (kernel != null) {
                    // Linux's protected_mode_jump holds the boot_params (zero page) address in ESI
                    long zeroPage = cpu.reg32(Cpu.ESI) & 0xFFFFFFFFL;
                    if (mem.read32(zeroPage + SetupHeader.MAGIC_OFFSET) == 0x53726448) {
                        details.put("bootParams", "0x%X".formatted(zeroPage));
                        details.put("e820", kernelE820(zeroPage));
                    }
                }
            }
            if (why == StopReason.HALTED) {
                stages.add(new BootReport.Stage("halted", detail));
            }
            String error = result == BootReport.Result.FAILED || result == BootReport.Result.BUDGET_EXHAUSTED
                    ? detail : null;
            if (error == null && detail != null) {
                details.put("stop", detail);
            }
            return report(result, error);
        }

        private List<Map<String, Object>> kernelE820(long base) {
            int n = Math.min(mem.read8(base + 0x1E8), 128);
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                long e = base + 0x2D0 + 20L * i;
                long addr = (mem.read32(e) & 0xFFFFFFFFL) | ((long) mem.read32(e + 4) << 32);
                long size = (mem.read32(e + 8) & 0xFFFFFFFFL) | ((long) mem.read32(e + 12) << 32);
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("base", "0x%X".formatted(addr));
                m.put("length", "0x%X".formatted(size));
                m.put("type", mem.read32(e + 16));
                out.add(m);
            }
            return out;
        }

        private BootReport report(BootReport.Result result, String error) {
            BootReport.Kernel k = null;
            if (kernel != null) {
                Map<String, Object> attrs = new LinkedHashMap<>();
                attrs.put("bootProtocol", kernel.protocolString());
                attrs.put("setupSectors", kernel.setupSectors());
                attrs.put("loadflags", kernel.loadflags());
                attrs.put("typeOfLoader", kernel.typeOfLoader());
                attrs.put("setupBase", "%05X".formatted(kernel.base()));
                attrs.put("cmdLinePtr", "0x%X".formatted(kernel.cmdLinePtr()));
                attrs.put("ramdiskImage", "0x%X".formatted(kernel.ramdiskImage()));
                attrs.put("ramdiskSize", kernel.ramdiskSize());
                attrs.put("code32Start", "0x%X".formatted(kernel.code32Start()));
                k = new BootReport.Kernel(null, kernel.kernelVersion(), kernel.cmdline(), "bzImage", attrs);
            }
            details.put("diskReadCount", bios.diskReadCount());
            if (bios.diskState().sectorsRead() > 0) {
                details.put("sectorsRead", bios.diskState().sectorsRead());
            }
            if (!bios.postCodes().isEmpty()) {
                details.put("postCodes", List.copyOf(bios.postCodes()));
            }
            if (drive.sectorsWritten() > 0) {
                details.put("sectorsWrittenToOverlay", drive.sectorsWritten());
            }
            if (bios.unhandledInterrupts() > 0) {
                details.put("unhandledInterrupts", bios.unhandledInterrupts());
            }
            return new BootReport("hvm", result, stages, console.text(), k, cpu.instructions(), bios.diskReads(), error,
                    details, bios.screen());
        }

        // ---- CpuHost: delegate to the BIOS, watch for the kernel hand-off ----

        @Override
        public int in(int port, int size) {
            return bios.in(port, size);
        }

        @Override
        public void out(int port, int size, int value) {
            bios.out(port, size, value);
        }

        @Override
        public void bios(int vector, Cpu c) {
            bios.bios(vector, c);
        }

        @Override
        public long advanceTo(long now) {
            return bios.advanceTo(now);
        }

        @Override
        public int acknowledgeInterrupt() {
            return bios.acknowledgeInterrupt();
        }

        // the 32-bit boot protocol: a jump to code32_start with ESI at boot_params (GRUB's linux)
        @Override
        public void codeEntry32(int phys, Cpu c) {
            long params = c.reg32(Cpu.ESI) & 0xFFFFFFFFL;
            if (params + 0x1000 > mem.size() || mem.read32(params + SetupHeader.MAGIC_OFFSET) != 0x53726448
                    || (mem.read32(params + 0x214) & 0xFFFFFFFFL) != (phys & 0xFFFFFFFFL) || entered32) {
                return;
            }
            entered32 = true;
            SetupHeader h = SetupHeader.read(mem, params);
            if (kernel == null) {
                // the 32-bit protocol never loads the setup code that holds the version string: look on the disk
                int syssize = mem.read32(params + 0x1F4);
                kernel = h.withKernelVersion(KernelVersionOnDisk.find(drive, bios.diskReads(), h.setupSectors(), syssize,
                        h.protocol()));
            } else if (kernel.kernelVersion() != null) {
                kernel = h.withKernelVersion(kernel.kernelVersion());
            }
            details.put("bootParams", "0x%X".formatted(params));
            details.put("e820", kernelE820(params));
            details.put("entry", "32-bit boot protocol at 0x%X".formatted(phys));
            stages.add(new BootReport.Stage("kernel hand-off", ("32-bit entry at 0x%X, boot_params at 0x%X, Linux boot"
                    + " protocol %s, cmdline '%s'").formatted(phys, params, h.protocolString(), h.cmdline())));
            // the kernel's 32-bit code sets up paging (and long mode), which is not emulated: stop here
            c.stop(StopReason.KERNEL_HANDOFF, "jump to the kernel's 32-bit entry at 0x%X (boot_params at 0x%X)"
                    .formatted(phys, params));
        }

        @Override
        public void kernelEntry(int phys, Cpu c) {
            long base = phys - 0x200L;
            if (base < 0 || (kernel != null && kernel.base() == base)) {
                return;
            }
            SetupHeader h = SetupHeader.read(mem, base);
            if (h == null || mem.read16(base + 0x1FE) != 0xAA55) {
                return;
            }
            kernel = h;
            boolean tiny = h.kernelVersion() != null && h.kernelVersion().startsWith(TinyKernel.VERSION_PREFIX);
            stages.add(new BootReport.Stage("kernel hand-off", "%04X:0000 Linux boot protocol %s, kernel '%s', cmdline '%s'"
                    .formatted(phys >>> 4, h.protocolString(), h.kernelVersion(), h.cmdline())));
            if (!tiny && !options.followKernel()) {
                c.stop(StopReason.KERNEL_HANDOFF, "jump to the kernel's real-mode setup at %04X:0000".formatted(phys >>> 4));
            }
            stages.add(new BootReport.Stage("kernel setup running", tiny ? "amiforge tiny kernel" : "following the kernel"));
        }
    }
}
