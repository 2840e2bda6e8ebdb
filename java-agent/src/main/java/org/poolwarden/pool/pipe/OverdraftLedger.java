package org.poolwarden.pool.pipe;

/**
 * This host's debt on one pipe (seed 004 [0206], [0213]-[0214]). Only whole packets go out, so a tick can end
 * over its credit; that overdraft is published as queued bytes and paid off from credit that was allocated but not
 * used. Host-local and mutable; one instance per pipe, driven by the control thread.
 */
public final class OverdraftLedger {

    private long overdraft;
    private long unused;
    private long overdrawnTicks;

    /**
     * Starts a tick with the credit just granted. Returns what may be sent without deepening the debt: the debt is
     * first paid from what was left unused last tick, and what remains is held back from this tick's credit.
     */
    public long begin(long credit) {
        return begin(credit, 0);
    }

    /**
     * As {@link #begin(long)}, but the debt is held back only from the credit above {@code protectedBytes} (the
     * booked grant): a guarantee is met every tick, and the rest of the debt waits for unbooked or unused credit
     * (the debt is published as unbooked demand, so it gets some). Withholding it from the booked part made a
     * booked class send one packet short of its guarantee in the tick after it went one packet over (issue #8).
     */
    public long begin(long credit, long protectedBytes) {
        if (credit < 0 || protectedBytes < 0) {
            throw new IllegalArgumentException("overdraft ledger: credit=" + credit + ", protected="
                    + protectedBytes + " must be >= 0");
        }
        overdraft = Math.max(0, overdraft - unused);
        unused = credit;
        return Math.max(Math.min(credit, protectedBytes), credit - overdraft);
    }

    /** Records bytes handed to the next layer during the tick (may exceed the credit by up to one packet). */
    public void sent(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("overdraft ledger: sent bytes=" + bytes + " must be >= 0");
        }
        unused -= bytes;
        if (unused < 0) {
            overdraft += -unused;
            unused = 0;
            overdrawnTicks++;
        }
    }

    /** Outstanding debt, to be published with the queued bytes. */
    public long overdraft() {
        return overdraft;
    }

    public long overdrawnTicks() {
        return overdrawnTicks;
    }
}
