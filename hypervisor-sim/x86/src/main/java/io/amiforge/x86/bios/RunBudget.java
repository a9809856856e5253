package io.amiforge.x86.bios;

import io.amiforge.x86.cpu.Cpu;
import io.amiforge.x86.cpu.StopReason;
import java.time.Duration;

/**
 * What one guest run may spend, so that no guest can keep the host busy: an instruction budget
 * and a wall-clock limit.
 *
 * <p>The budget is drawn on by the instructions the CPU executes and by the work BIOS services
 * do on the guest's behalf, charged in instructions: {@link #SECTOR_COST} per 512-byte sector
 * moved (INT 13h reads and writes, the INT 19h boot-sector load, and every 512 bytes, or part,
 * of an INT 15h AH=87h block move) and one per character written by INT 10h. A guest that loops
 * on large disk reads therefore exhausts its budget as surely as one that loops on JMP.
 *
 * <p>The wall-clock limit is checked once per {@link #SLICE} units of spending (after every CPU
 * slice, and inside BIOS work whenever the charges cross a slice), never per instruction. The
 * lifecycle is {@link State}: a budget runs until the instructions are spent or the time is up,
 * and then stays there.
 */
public final class RunBudget {

    /** Instructions one 512-byte sector costs: the 256 words of a PIO {@code REP INSW}. */
    public static final int SECTOR_COST = 256;
    /** Units of spending (instructions or charged work) between two wall-clock checks. */
    public static final long SLICE = 1L << 20;

    /** Where a budget is in its life. */
    public enum State {
        /** Instructions and time left. */
        RUNNING,
        /** Executed plus charged instructions reached the budget. */
        INSTRUCTIONS_SPENT,
        /** The wall-clock limit passed. */
        TIME_UP
    }

    private final long maxInstructions;
    private final Duration timeLimit;
    private long startNanos;
    private long charged;
    private long sectors;
    private long nextClockCheck = SLICE;
    private State state = State.RUNNING;

    /**
     * A budget of {@code maxInstructions} (at least 1) and {@code timeLimit} (positive) of wall
     * clock, which starts at {@link #start()}.
     */
    public RunBudget(long maxInstructions, Duration timeLimit) {
        if (maxInstructions < 1) {
            throw new IllegalArgumentException("maxInstructions must be at least 1, was " + maxInstructions);
        }
        if (timeLimit == null || timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("the wall-clock limit must be positive, was " + timeLimit);
        }
        this.maxInstructions = maxInstructions;
        this.timeLimit = timeLimit;
        this.startNanos = System.nanoTime();
    }

    /** Starts (or restarts) the wall clock. */
    public void start() {
        startNanos = System.nanoTime();
    }

    public State state() {
        return state;
    }

    public long maxInstructions() {
        return maxInstructions;
    }

    public Duration timeLimit() {
        return timeLimit;
    }

    /** Instructions charged for BIOS work so far (not counting the CPU's own). */
    public long charged() {
        return charged;
    }

    /** Sectors charged so far. */
    public long sectors() {
        return sectors;
    }

    /**
     * How many instructions the CPU may run next, at most {@link #SLICE}, given that it has
     * executed {@code executed}; 0 once the budget is no longer {@link State#RUNNING} (and
     * moves it to {@link State#INSTRUCTIONS_SPENT} when nothing is left).
     */
    public long nextSlice(long executed) {
        if (state != State.RUNNING) {
            return 0;
        }
        long left = maxInstructions - executed - charged;
        if (left <= 0) {
            state = State.INSTRUCTIONS_SPENT;
            return 0;
        }
        return Math.min(left, SLICE);
    }

    /** Checks the wall clock (once per slice); true, and {@link State#TIME_UP}, when the limit has passed. */
    public boolean checkClock() {
        if (state == State.RUNNING && System.nanoTime() - startNanos >= timeLimit.toNanos()) {
            state = State.TIME_UP;
        }
        return state == State.TIME_UP;
    }

    /** Charges {@code count} sectors moved for the guest; see {@link #charge}. */
    void chargeSectors(Cpu cpu, long count) {
        sectors += count;
        charge(cpu, count * SECTOR_COST);
    }

    /**
     * Charges {@code instructions} of BIOS work to the guest. When the budget or the wall clock
     * runs out, ends the run ({@link Cpu#stop}, {@link StopReason#BUDGET}) with
     * {@link #exhausted(Cpu)} as the detail; the service does not finish.
     */
    void charge(Cpu cpu, long instructions) {
        charged += instructions;
        if (cpu.instructions() + charged > maxInstructions) {
            state = State.INSTRUCTIONS_SPENT;
            cpu.stop(StopReason.BUDGET, exhausted(cpu));
        }
        if (charged >= nextClockCheck) {
            nextClockCheck = charged + SLICE;
            if (checkClock()) {
                cpu.stop(StopReason.BUDGET, exhausted(cpu));
            }
        }
    }

    /** Why the run ended for want of budget, naming CS:IP and what was spent. */
    public String exhausted(Cpu cpu) {
        String at = "%04X:%04X".formatted(cpu.seg(Cpu.CS), cpu.ip());
        String spent = charged == 0 ? cpu.instructions() + " instructions executed"
                : "%d instructions executed + %d charged for BIOS work (%d disk sectors at %d each)"
                        .formatted(cpu.instructions(), charged, sectors, SECTOR_COST);
        return switch (state) {
            case TIME_UP -> "wall-clock limit of %s reached at %s after %s".formatted(describe(timeLimit), at, spent);
            case INSTRUCTIONS_SPENT, RUNNING -> "instruction budget of %d exhausted at %s (%s)"
                    .formatted(maxInstructions, at, spent);
        };
    }

    private static String describe(Duration d) {
        long ms = d.toMillis();
        return ms >= 1000 && ms % 1000 == 0 ? ms / 1000 + " s" : ms > 0 ? ms + " ms" : d.toNanos() + " ns";
    }
}
