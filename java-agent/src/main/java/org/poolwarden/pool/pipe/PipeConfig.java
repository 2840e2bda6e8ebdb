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
 * @param partitionSlack      beta: a stale peer is reserved max(booking, (1-beta)*capacity/members), so that
 *                            m groups that cannot hear each other overrun the pipe by at most (m-1)*beta*capacity.
 *                            Default 0.05 (a two-way partition costs at most 5% overshoot).
 * @param unbookedSplit       how unbooked demand is cut when it does not all fit
 * @param refreshIntervals    a host re-publishes demand that has not changed noticeably only every this many
 *                            intervals, and an entry counts as fresh for {@link #freshIntervals()} =
 *                            refreshIntervals + staleAfterIntervals - 1 (1: publish every interval). Default 10
 *                            (500 ms): one entry per host per interval is more than gossip carries in a large pool
 *                            (at 128 hosts 95% of entries arrived stale); a silent peer is still counted at its last
 *                            entry (booking and unbooked demand) for that long, then reserved.
 * @param republishChange     what "noticeably" means: booked or unbooked demand moved by more than this fraction of
 *                            the larger of the old value and a fair share (capacity / members), or the backlogged
 *                            class count changed between zero and non-zero. Default 0.1. 0 republishes every change.
 */
public record PipeConfig(String pipeId, long capacityBytesPerSec, long tickNanos, double immediateFactor,
                         int staleAfterIntervals, double partitionSlack, UnbookedSplit unbookedSplit,
                         int refreshIntervals, double republishChange) {

    public static final long DEFAULT_TICK_NANOS = 50_000_000L;
    public static final double DEFAULT_IMMEDIATE_FACTOR = 0.5;
    public static final int DEFAULT_STALE_AFTER_INTERVALS = 3;
    public static final double DEFAULT_PARTITION_SLACK = 0.05;
    public static final int DEFAULT_REFRESH_INTERVALS = 10;
    public static final double DEFAULT_REPUBLISH_CHANGE = 0.1;

    /** Every interval published (the behaviour before demand suppression). */
    public PipeConfig(String pipeId, long capacityBytesPerSec, long tickNanos, double immediateFactor,
                      int staleAfterIntervals, double partitionSlack, UnbookedSplit unbookedSplit) {
        this(pipeId, capacityBytesPerSec, tickNanos, immediateFactor, staleAfterIntervals, partitionSlack,
                unbookedSplit, 1, 0.0);
    }

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
        if (refreshIntervals < 1 || refreshIntervals > 1000) {
            throw new IllegalArgumentException("pipe " + pipeId + ": refreshIntervals=" + refreshIntervals
                    + " must be in 1..1000");
        }
        if (!(republishChange >= 0.0 && republishChange <= 1.0)) {
            throw new IllegalArgumentException("pipe " + pipeId + ": republishChange=" + republishChange
                    + " must be in [0,1]");
        }
    }

    public static PipeConfig of(String pipeId, long capacityBytesPerSec) {
        return new PipeConfig(pipeId, capacityBytesPerSec, DEFAULT_TICK_NANOS, DEFAULT_IMMEDIATE_FACTOR,
                DEFAULT_STALE_AFTER_INTERVALS, DEFAULT_PARTITION_SLACK, UnbookedSplit.MAX_MIN, DEFAULT_REFRESH_INTERVALS,
                DEFAULT_REPUBLISH_CHANGE);
    }

    public PipeConfig withImmediateFactor(double f) {
        return new PipeConfig(pipeId, capacityBytesPerSec, tickNanos, f, staleAfterIntervals, partitionSlack,
                unbookedSplit, refreshIntervals, republishChange);
    }

    public PipeConfig withUnbookedSplit(UnbookedSplit s) {
        return new PipeConfig(pipeId, capacityBytesPerSec, tickNanos, immediateFactor, staleAfterIntervals,
                partitionSlack, s, refreshIntervals, republishChange);
    }

    public PipeConfig withStaleness(int k, double slack) {
        return new PipeConfig(pipeId, capacityBytesPerSec, tickNanos, immediateFactor, k, slack, unbookedSplit,
                refreshIntervals, republishChange);
    }

    public PipeConfig withTickNanos(long t) {
        return new PipeConfig(pipeId, capacityBytesPerSec, t, immediateFactor, staleAfterIntervals, partitionSlack,
                unbookedSplit, refreshIntervals, republishChange);
    }

    /** Demand suppression: refresh unchanged demand every {@code k} intervals, republish on a change above {@code change}. */
    public PipeConfig withRefresh(int k, double change) {
        return new PipeConfig(pipeId, capacityBytesPerSec, tickNanos, immediateFactor, staleAfterIntervals,
                partitionSlack, unbookedSplit, k, change);
    }

    /**
     * New demand entries the exchange spreads to every member per interval, pool-wide, at its LAN defaults: each
     * host fills 4 packets of about 22 entries per gossip round and relays each entry 4 * ceil(log10(n + 1))
     * times, so about 7 new entries per round reach everybody at 128 hosts (measured: at one entry per host per
     * interval, 95% arrived stale).
     */
    public static final int POOL_ENTRIES_PER_INTERVAL = 8;

    /** An entry younger than this many intervals is fresh: a refresh period plus the staleness allowance. */
    public int freshIntervals() {
        return refreshIntervals + staleAfterIntervals - 1;
    }

    /**
     * Fewest intervals between two demand entries of one host in a pool of {@code members}, so that the pool
     * publishes no more than the exchange spreads ({@link #POOL_ENTRIES_PER_INTERVAL}). 1 without suppression.
     */
    public int publishGap(int members) {
        return refreshIntervals == 1 ? 1 : Math.max(1, (members + POOL_ENTRIES_PER_INTERVAL - 1)
                / POOL_ENTRIES_PER_INTERVAL);
    }

    /** The refresh period in a pool of {@code members}: the configured one, at least twice the publish gap. */
    public int refreshIntervals(int members) {
        return refreshIntervals == 1 ? 1 : Math.max(refreshIntervals, 2 * publishGap(members));
    }

    /** {@link #freshIntervals()} in a pool of {@code members} (every host counting the same members agrees). */
    public int freshIntervals(int members) {
        return refreshIntervals(members) + staleAfterIntervals - 1;
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
