package io.amiforge.x86.cpu;

/**
 * A pre-allocated, stackless throwable the CPU uses to unwind out of an instruction: either a
 * delivered fault (execution continues at the handler) or a stop of the whole run. Never
 * escapes {@link Cpu#run(long)}.
 */
final class CpuSignal extends RuntimeException {

    static final CpuSignal UNWIND = new CpuSignal("fault delivered");
    static final CpuSignal STOP = new CpuSignal("run stopped");

    private CpuSignal(String what) {
        super(what, null, false, false);
    }
}
