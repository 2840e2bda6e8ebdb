package org.poolwarden.exchange.membership;

import java.util.HashSet;
import java.util.Set;

/**
 * Lifeguard's dynamic suspicion timeout (as in memberlist's suspicion.go): it starts at {@code max} and falls
 * logarithmically towards {@code min} as independent peers confirm the suspicion, so a real failure that many see is
 * declared fast while one slow observer alone cannot kill a member quickly.
 */
public final class Suspicion {
    private final long startNanos;
    private final long minNanos;
    private final long maxNanos;
    private final int expectedConfirmations;
    private final Set<Long> confirmers = new HashSet<>();
    private long deadlineNanos;

    public Suspicion(long from, long startNanos, long minNanos, long maxNanos, int expectedConfirmations) {
        this.startNanos = startNanos;
        this.minNanos = minNanos;
        this.maxNanos = Math.max(minNanos, maxNanos);
        this.expectedConfirmations = Math.max(0, expectedConfirmations);
        confirmers.add(from); // the originator is not a confirmation
        this.deadlineNanos = startNanos + timeout(0);
    }

    /** Remaining-time formula: max - (max - min) * log(c + 1) / log(k + 1), never below min. */
    public long timeout(int confirmations) {
        if (expectedConfirmations == 0) {
            return minNanos;
        }
        double frac = Math.log(confirmations + 1.0) / Math.log(expectedConfirmations + 1.0);
        long t = (long) (maxNanos - frac * (maxNanos - minNanos));
        return Math.max(minNanos, t);
    }

    /** Counts a confirmation from a peer not heard before; returns true if it was new (worth re-gossiping). */
    public boolean confirm(long from) {
        if (confirmations() >= expectedConfirmations || !confirmers.add(from)) {
            return false;
        }
        deadlineNanos = startNanos + timeout(confirmations());
        return true;
    }

    public int confirmations() {
        return confirmers.size() - 1;
    }

    public long deadlineNanos() {
        return deadlineNanos;
    }

    /** A stall of this host: nothing could be confirmed or refuted meanwhile. */
    public void extend(long nanos) {
        deadlineNanos += nanos;
    }

    /** Lifeguard bounds for a pool of {@code n}: min = max(floor, mult * max(1, log10 n) * interval). */
    public static long minTimeoutNanos(int suspicionMult, int n, long probeIntervalNanos, long floorNanos) {
        double scale = Math.max(1.0, Math.log10(Math.max(1.0, n)));
        return Math.max(floorNanos, (long) (suspicionMult * scale * probeIntervalNanos));
    }

    /** memberlist: k = mult - 2 confirmations expected, none when the pool is too small to provide them. */
    public static int expectedConfirmations(int suspicionMult, int n) {
        int k = suspicionMult - 2;
        return n - 2 < k ? 0 : Math.max(0, k);
    }
}
