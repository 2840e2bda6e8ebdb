package org.poolwarden.pool.share;

import java.util.EnumMap;
import java.util.Map;

/** Counters of one {@link PipeShareCoordinator}: loops, peer input problems, membership reactions, tc calls. */
public final class ShareCounters {

    public enum Counter {
        /** Intervals processed (one allocation round per pipe each). */
        ROUNDS,
        /** Own demand entries published. */
        DEMAND_PUBLISHED,
        /** Rounds whose demand was not news (no noticeable change, refresh not due): nothing published. */
        DEMAND_SUPPRESSED,
        /** Peer demand entries decoded (a new version seen at a tick). */
        DEMAND_DECODED,
        /** Peer entries whose value could not be read; the peer keeps its previous entry, which ages to stale. */
        MALFORMED_VALUE,
        /** Values of a type code this version does not know (from a newer agent). */
        UNKNOWN_VALUE_TYPE,
        /** Demand for a pipe this host does not share. */
        UNKNOWN_PIPE,
        /** Peer demand values the allocator clamped (above one second of the pipe, future intervals, ...). */
        DEMAND_CLAMPED,
        /** Peer demand entries the allocator ignored (negative, NaN, infinite); the peer keeps only its floor. */
        DEMAND_IGNORED,
        /** Policy copies received that changed the local set. */
        POLICY_APPLIED,
        /** Policy copies received that lost against the held copy. */
        POLICY_SUPERSEDED,
        /** Policy copies rejected because their body does not parse or is out of range; never merged or relayed. */
        POLICY_PROBLEM,
        /** Policies set on this host. */
        POLICY_SET,
        /** Copies of a failed member's policies this host re-published so they outlive the member. */
        POLICY_ADOPTED,
        /** Rounds in which this host heard no more than half of the pipe's members and kept to a fair share. */
        MINORITY_CAPPED,
        /** Failed or left events: the member is released from every pipe at the next round. */
        MEMBER_RELEASED,
        /** Failed events held back because no majority of the pool is alive here (a partition, this side smaller). */
        MEMBER_HELD,
        /** A released member came back: its share and any rescaled bookings are restored. */
        MEMBER_RESTORED,
        /** Pipe bookings or CPU policies that became short (insufficient resources), or changed how short. */
        BOOKING_SHORT,
        /** Pipe bookings or CPU policies met again. */
        BOOKING_RESTORED,
        /** Pool CPU allocation rounds. */
        CPU_ROUNDS,
        /** Peer CPU entries (or instance counts) with impossible numbers, not used. */
        CPU_IGNORED,
        /** Trees handed to the bandwidth controller. */
        TC_APPLIED,
        /** Rounds whose rates did not change enough to be worth a kernel update (never skipped when lowering). */
        TC_UNCHANGED,
        /** Bandwidth controller failures (the previous tree stays in force). */
        TC_ERRORS
    }

    private static final Counter[] ALL = Counter.values();
    private final long[] values = new long[ALL.length]; // no boxing: incremented per peer entry and round

    void increment(Counter c) {
        values[c.ordinal()]++;
    }

    void add(Counter c, long n) {
        values[c.ordinal()] += n;
    }

    public long get(Counter c) {
        return values[c.ordinal()];
    }

    /** The counters that are not zero. */
    public Map<Counter, Long> snapshot() {
        EnumMap<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : ALL) {
            if (values[c.ordinal()] != 0) {
                m.put(c, values[c.ordinal()]);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return snapshot().toString();
    }
}
