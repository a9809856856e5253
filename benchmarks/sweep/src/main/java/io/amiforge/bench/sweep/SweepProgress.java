package io.amiforge.bench.sweep;

/** Told what a sweep is doing, for a progress bar or log lines; called on the sweep's thread. */
public interface SweepProgress {

    /** Reports nothing. */
    SweepProgress NONE = new SweepProgress() {
        @Override
        public void start(long steps) {
        }

        @Override
        public void step(String what) {
        }
    };

    /** The sweep will take {@code steps} steps. */
    void start(long steps);

    /** One step is about to run; {@code what} names it ("row-flat depth 8: random_read"). */
    void step(String what);
}
