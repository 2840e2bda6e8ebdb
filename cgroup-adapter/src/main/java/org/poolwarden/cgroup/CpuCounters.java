package org.poolwarden.cgroup;

import java.util.concurrent.atomic.AtomicLong;

/** Counters of a {@link CpuController}: every kernel write and read, and every unusual event. Monotonic. */
public final class CpuCounters {
    final AtomicLong writes = new AtomicLong();
    final AtomicLong reads = new AtomicLong();
    final AtomicLong mkdirs = new AtomicLong();
    final AtomicLong rmdirs = new AtomicLong();
    final AtomicLong drift = new AtomicLong();
    final AtomicLong vanished = new AtomicLong();
    final AtomicLong busyRetries = new AtomicLong();
    final AtomicLong threadsFixed = new AtomicLong();
    final AtomicLong reconciles = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong returnedHome = new AtomicLong();
    final AtomicLong homeLost = new AtomicLong();

    /** Knob and procs writes (not mkdir/rmdir). */
    public long writes() {
        return writes.get();
    }

    public long reads() {
        return reads.get();
    }

    public long mkdirs() {
        return mkdirs.get();
    }

    public long rmdirs() {
        return rmdirs.get();
    }

    /** Everything that changed the kernel: writes + mkdirs + rmdirs. */
    public long mutations() {
        return writes() + mkdirs() + rmdirs();
    }

    /** Outside changes to a knob we manage, noticed and undone. */
    public long drift() {
        return drift.get();
    }

    /** Processes that exited before we could move them. */
    public long vanished() {
        return vanished.get();
    }

    /** rmdir attempts repeated after EBUSY. */
    public long busyRetries() {
        return busyRetries.get();
    }

    public long threadsFixed() {
        return threadsFixed.get();
    }

    public long reconciles() {
        return reconciles.get();
    }

    /** Operations that failed with an exception. */
    public long errors() {
        return errors.get();
    }

    /** Released processes put back into the cgroup they came from. */
    public long returnedHome() {
        return returnedHome.get();
    }

    /**
     * Released processes with a recorded origin that went to the evacuation group instead: their cgroup was gone or
     * refused them, or the pid now names another process.
     */
    public long homeLost() {
        return homeLost.get();
    }

    @Override
    public String toString() {
        return "writes=" + writes() + " reads=" + reads() + " mkdirs=" + mkdirs() + " rmdirs=" + rmdirs() + " drift="
                + drift() + " vanished=" + vanished() + " busyRetries=" + busyRetries() + " threadsFixed="
                + threadsFixed() + " reconciles=" + reconciles() + " errors=" + errors() + " returnedHome="
                + returnedHome() + " homeLost=" + homeLost();
    }
}
