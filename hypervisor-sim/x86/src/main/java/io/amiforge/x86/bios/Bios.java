package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.CpuHost;
import io.amiforge.x86.cpu.Memory;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * The PC BIOS, as the CPU's {@link CpuHost}: a dispatcher that binds one service per interrupt
 * vector and the I/O ports to the CPU. {@link #install(Cpu)} runs POST (IVT, BIOS data area,
 * EBDA, ROM tables); then each vector whose IVT entry still points at the BIOS goes to its
 * service: INT 10h {@link Int10Video}, 11h/12h/17h {@link Equipment}, 13h {@link Int13Disk},
 * 14h {@link Int14Serial}, 15h {@link Int15System}, 16h {@link Int16Keyboard}, 18h/19h
 * {@link Bootstrap}, 08h (IRQ 0) and 1Ah {@link Int1AClock}, and the exception vectors and the reset vector
 * {@link CpuFaults} (the run stops, naming the fault). Other software interrupts return at
 * once; those from 20h up are counted ({@link #unhandledInterrupts()}), except the slave
 * PIC's IRQ vectors 70h-77h.
 *
 * <p>Bytes the guest sends to COM1 go to the {@link Console}; INT 10h output goes to the text
 * screen in guest memory ({@link #screen()}); every disk read
 * is recorded ({@link Int13State}); BIOS work is charged to the {@link RunBudget}. The machine's
 * timers are the {@link Pit} and the {@link Pic} pair, in virtual time (the instruction count):
 * the CPU asks {@link #advanceTo} when the next IRQ is due and takes the request through
 * {@link #acknowledgeInterrupt}; the {@link Rtc} holds the time and the memory size.
 */
public final class Bios implements CpuHost {

    private static final int FIRST_SOFTWARE_VECTOR = 0x20;
    private static final int SLAVE_IRQ_FIRST = 0x70, SLAVE_IRQ_LAST = 0x77;

    private final Memory mem;
    private final DiskDrive disk;
    private final Console console;
    private final RunBudget budget;
    private final BiosDataArea bda;
    private final Int13State diskState = new Int13State();
    private final PortState portState = new PortState();
    private final Int13Disk int13;
    private final Int15System int15;
    private final Int1AClock clock;
    private final IoPorts ports;
    private final Pit pit = new Pit();
    private final Pic pic = new Pic();
    private final Rtc rtc;
    private final VgaText screen;
    private final BiosService[] services = new BiosService[Cpu.RESET_VECTOR + 1];
    private long unhandledInterrupts;
    private Cpu cpu;

    /** A BIOS for {@code mem} with {@code disk} as drive 0x80, drawing on {@code budget}; the RTC starts at the host's time. */
    public Bios(Memory mem, DiskDrive disk, Keyboard keyboard, Console console, RunBudget budget) {
        this(mem, disk, keyboard, console, budget, Instant.now());
    }

    /** A BIOS whose real-time clock reads {@code powerOn} (UTC) when the CPU has run no instruction. */
    public Bios(Memory mem, DiskDrive disk, Keyboard keyboard, Console console, RunBudget budget, Instant powerOn) {
        this.mem = mem;
        this.disk = disk;
        this.console = console;
        this.budget = budget;
        this.bda = new BiosDataArea(mem);
        this.int13 = new Int13Disk(mem, disk, bda, diskState, budget);
        this.int15 = new Int15System(mem, budget);
        this.rtc = new Rtc(powerOn, mem.size());
        this.clock = new Int1AClock(bda, rtc, pic);
        Int14Serial serial = new Int14Serial(console, portState);
        this.ports = new IoPorts(portState, serial, pit, pic, rtc);
        this.screen = new VgaText(mem, bda);
        Int10Video video = new Int10Video(mem, bda, screen, budget);
        Equipment equipment = new Equipment(bda);
        Int16Keyboard int16 = new Int16Keyboard(keyboard);
        Bootstrap bootstrap = new Bootstrap(mem, int13, screen);

        bind(0x00, c -> CpuFaults.fault(c, "divide error"));
        bind(0x06, c -> CpuFaults.fault(c, "invalid opcode"));
        bind(0x08, clock::timerInterrupt);
        bind(0x0C, c -> CpuFaults.fault(c, "stack fault"));
        bind(0x0D, c -> CpuFaults.fault(c, "general protection fault (a 32-bit offset beyond 64 KiB in real mode)"));
        bind(0x10, video::serve);
        bind(0x11, equipment::equipment);
        bind(0x12, equipment::memorySize);
        bind(0x13, int13::serve);
        bind(0x14, serial::serve);
        bind(0x15, int15::serve);
        bind(0x16, int16::serve);
        bind(0x17, equipment::printer);
        bind(0x18, bootstrap::bootFailure);
        bind(0x19, bootstrap::bootstrap);
        bind(0x1A, clock::serve);
        bind(0x1C, c -> { }); // the user timer tick: a BIOS's own handler is a bare IRET
        bind(Cpu.RESET_VECTOR, CpuFaults::reset);
    }

    private void bind(int vector, BiosService service) {
        services[vector] = service;
    }

    /**
     * Runs POST (IVT, BDA, EBDA, ROM as a BIOS leaves them) and binds to {@code cpu}; call it
     * before the CPU runs.
     */
    public void install(Cpu cpu) {
        this.cpu = cpu;
        PowerOnSelfTest.run(mem, bda, disk.geometry());
        screen.clear();
        // the PIC pair at vectors 08h and 70h, IRQ 0 (timer), 1 and 2 (cascade) unmasked; PIT
        // channel 0 in mode 3 with the full count: IRQ 0 about 18.2 times a second
        for (int[] w : new int[][] {{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01}, {0x21, 0xF8},
                {0xA0, 0x11}, {0xA1, 0x70}, {0xA1, 0x02}, {0xA1, 0x01}, {0xA1, 0xFF}}) {
            pic.write(w[0], w[1]);
        }
        long now = cpu.instructions();
        pit.write(0x43, 0x36, now);
        pit.write(0x40, 0, now);
        pit.write(0x40, 0, now);
    }

    /** Called with every disk read the guest makes (after it is recorded). */
    public void onDiskRead(Consumer<DiskRead> listener) {
        int13.onRead(listener);
    }

    /** Records a read the BIOS made for the guest outside INT 13h (the boot-sector load at POST). */
    public void recordRead(long lba, int count, String where) {
        int13.record(new DiskRead(lba, count, where));
    }

    /** What the guest sent to COM1. */
    public Console console() {
        return console;
    }

    /** The text screen as guest memory holds it now (INT 10h output and direct writes to 0xB8000). */
    public Screen screen() {
        return Screen.capture(mem);
    }

    /** Prints a BIOS message on the screen, as a BIOS does before or instead of booting. */
    public void printOnScreen(String text) {
        screen.print(text);
    }

    public DiskDrive disk() {
        return disk;
    }

    public RunBudget budget() {
        return budget;
    }

    /** The BIOS data area, whose fields live in guest memory. */
    public BiosDataArea dataArea() {
        return bda;
    }

    /** The INT 13h service's state: last status, reads, sector counts. */
    public Int13State diskState() {
        return diskState;
    }

    /** The I/O port latches and the POST codes. */
    public PortState portState() {
        return portState;
    }

    /** The E820 map INT 15h reports. */
    public MemoryMap memoryMap() {
        return int15.memoryMap();
    }

    /** The first {@link Int13State#MAX_RECORDED_READS} disk reads (see {@link Int13State#reads()}). */
    public List<DiskRead> diskReads() {
        return diskState.reads();
    }

    /** All disk reads, including those beyond the recorded list's bound. */
    public long diskReadCount() {
        return diskState.readCount();
    }

    /** The POST codes written to port 80h (see {@link PortState#postCodes()}). */
    public List<Integer> postCodes() {
        return portState.postCodes();
    }

    /** Software interrupts to vectors no BIOS service serves. */
    public long unhandledInterrupts() {
        return unhandledInterrupts;
    }

    @Override
    public void bios(int vector, Cpu c) {
        BiosService service = vector >= 0 && vector < services.length ? services[vector] : null;
        if (service != null) {
            service.serve(c);
        } else if (vector >= FIRST_SOFTWARE_VECTOR && (vector < SLAVE_IRQ_FIRST || vector > SLAVE_IRQ_LAST)) {
            unhandledInterrupts++;
        }
    }

    /** Brings the PIT up to {@code now}, raising IRQ 0 on the PIC at its edges; returns when it next will. */
    @Override
    public long advanceTo(long now) {
        if (pit.pollIrq0(now)) {
            pic.raise(0);
        }
        // a masked timer wakes nothing: a HLT then waits forever (unmasking is a port write, which looks again)
        return pic.masked(0) ? Long.MAX_VALUE : pit.nextIrq0(now);
    }

    @Override
    public int acknowledgeInterrupt() {
        return pic.acknowledge();
    }

    @Override
    public int in(int port, int size) {
        return ports.in(cpu, port, size);
    }

    @Override
    public void out(int port, int size, int value) {
        ports.out(cpu, port, value);
    }
}
