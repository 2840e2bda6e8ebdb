package org.poolwarden.pool.pipe;

/**
 * One shared pipe, as every host sharing it must configure it identically.
 *
 * @param pipeId              stable name of the pipe (used in errors and the exchange key)
 * @param capacityBytesPerSec what the pipe carries; must be > 0 (a pipe of 0 is a config error, not "no limit")
 * @param tickNanos           fast tick, one allocation per tick (default 50 ms: fast enough to follow bursts,
 *                            slow enough that the exchange can carry one entry per host per tick)
 * @param immediateFactor     value kept by spare ("immediate") credit: 0 = always queue, 1 = always take a chance.
 *                            Default 0.5 because we cannot know whether the spare is used early or late in the tick.
 * @param staleAfterIntervals a peer whose last entry is at least this many ticks old is stale (default 3: one lost
 *                            packet must not make a peer stale; 3 losses in a row at 5% loss is 1 in 8000)
 * @param partitionSlack      beta: a stale peer is reserved max(lastBooked, (1-beta)*capacity/members), so that
 *                            m groups that cannot hear each other overrun the pipe by at most (m-1)*beta*capacity.
 *                            Default 0.05 (a two-way partition costs at most 5% overshoot).
 * @param unbookedSplit       how unbooked demand is cut when it does not all fit
 */
public record PipeConfig(String pipeId, long capacityBytesPerSec, long tickNanos, double immediateFactor,
                         int staleAfterIntervals, double partitionSlack, UnbookedSplit unbookedSplit) {

    public static final long DEFAULT_TICK_NANOS = 50_000_000L;
    public static final double DEFAULT_IMMEDIATE_FACTOR = 0.5;
    public static final int DEFAULT_STALE_AFTER_INTERVALS = 3;
    public static final double DEFAULT_PARTITION_SLACK = 0.05;

    public PipeConfig {
        if (pipeId == null || pipeId.isBlank()) {
            throw new IllegalArgumentException("pipe config: pipeId is empty");
        }
        if (capacityBytesPerSec <= 0) {
            throw new IllegalArgumentException("pipe " + pipeId + ": capacityBytesPerSec=" + capacityBytesPerSec
                    + " must be > 0");
        }
        if (tickNanos <= 0) {
            throw new IllegalArgumentException("pipe " + pipeId + ": tickNanos=" + tickNanos + " must be > 0");
        }
        if (!(immediateFactor >= 0.0 && immediateFactor <= 1.0)) {
            throw new IllegalArgumentException("pipe " + pipeId + ": immediateFactor=" + immediateFactor
                    + " must be in [0,1]");
        }
        if (staleAfterIntervals < 1) {
            throw new IllegalArgumentException("pipe " + pipeId + ": staleAfterIntervals=" + staleAfterIntervals
                    + " must be >= 1");
        }
        if (!(partitionSlack >= 0.0 && partitionSlack <= 1.0)) {
            throw new IllegalArgumentException("pipe " + pipeId + ": partitionSlack=" + partitionSlack
                    + " must be in [0,1]");
        }
        if (unbookedSplit == null) {
            throw new IllegalArgumentException("pipe " + pipeId + ": unbookedSplit is missing");
        }
    }

    public static PipeConfig of(String pipeId, long capacityBytesPerSec) {
        return new PipeConfig(pipeId, capacityBytesPerSec, DEFAULT_TICK_NANOS, DEFAULT_IMMEDIATE_FACTOR,
                DEFAULT_STALE_AFTER_INTERVALS, DEFAULT_PARTITION_SLACK, UnbookedSplit.MAX_MIN);
    }

    public PipeConfig withImmediateFactor(double f) {
        return new PipeConfig(pipeId, capacityBytesPerSec, tickNanos, f, staleAfterIntervals, partitionSlack,
                unbookedSplit);
    }

    public PipeConfig withUnbookedSplit(UnbookedSplit s) {
        return new PipeConfig(pipeId, capacityBytesPerSec, tickNanos, immediateFactor, staleAfterIntervals,
                partitionSlack, s);
    }

    public PipeConfig withStaleness(int k, double slack) {
        return new PipeConfig(pipeId, capacityBytesPerSec, tickNanos, immediateFactor, k, slack, unbookedSplit);
    }

    public PipeConfig withTickNanos(long t) {
        return new PipeConfig(pipeId, capacityBytesPerSec, t, immediateFactor, staleAfterIntervals, partitionSlack,
                unbookedSplit);
    }

    /** Bytes the pipe carries in one tick. */
    public double bytesPerInterval() {
        return capacityBytesPerSec * (tickNanos / 1e9);
    }

    /** Interval number at a clock reading; every host derives it from its own (NTP-synchronised) clock. */
    public long intervalAt(long nowNanos) {
        return Math.floorDiv(nowNanos, tickNanos);
    }

    public double tickSeconds() {
        return tickNanos / 1e9;
    }
}
