package org.poolwarden.exchange;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one exchange node. Written by the node's single event-loop thread, read from any thread
 * (the agent's /metrics exporter) through {@link #snapshot()}.
 */
public final class ExchangeCounters {

    /** Every counter the exchange keeps. Names are stable: they become metric labels. */
    public enum Counter {
        PACKETS_IN, BYTES_IN, PACKETS_OUT, BYTES_OUT, PACKETS_ACCEPTED, SEND_ERRORS,
        // drop reasons: a dropped packet changes no state
        DROP_TRUNCATED, DROP_OVERSIZED, DROP_BAD_MAGIC, DROP_UNKNOWN_VERSION, DROP_WRONG_POOL, DROP_BAD_KEY,
        DROP_CLOCK_SKEW, DROP_REPLAY, DROP_MALFORMED, DROP_FROM_SELF,
        /** A record of a type this version does not know; skipped, the rest of the packet is used. */
        SKIPPED_UNKNOWN_RECORD,
        TICKS, PAUSES_DETECTED,
        /** A bug caught at the event loop's edge so the loop keeps running; should stay 0. */
        INTERNAL_ERRORS,
        PROBES_SENT, PROBE_ACKS, PROBES_FAILED, INDIRECT_PROBES_SENT, INDIRECT_PROBES_SERVED, NACKS_SENT, NACKS_RECEIVED,
        SUSPICIONS_RAISED, SUSPICION_CONFIRMATIONS, REFUTATIONS, MEMBERS_DECLARED_FAILED, MEMBERS_REAPED,
        JOINS_SENT, JOINS_SERVED,
        /** Dead-member recovery (ExchangeConfig's dead* and reconnect* settings): direct Dead notices to a dead sender, reconnect packets. */
        DEAD_NOTICES_SENT, RECONNECTS_SENT,
        BROADCASTS_SENT, ENTRIES_SENT, ENTRIES_APPLIED, ENTRIES_STALE, ENTRIES_RETRANSMITTED, ENTRIES_REPAIRED,
        DIGESTS_SENT, DIGESTS_RECEIVED,
        /** Of DIGESTS_SENT: digests of origins that changed here lately, sent ahead of the cycle (tree mode). */
        DIGESTS_SENT_RECENT,
        /** Hot entries not sent to a peer known to hold them (it sent them to us, or we to it). */
        ENTRIES_SKIPPED_HELD,
        /** Relay transmits given up because another copy of the same version arrived (feedback). */
        ENTRIES_DUPLICATE_CREDITS,
        /**
         * Lazy push: entry ids announced (IHAVE) and received; pulls sent (ids in IWANT), pulled entries served to
         * others, pulls given up (every announcer asked, still missing: anti-entropy is left), announcements for
         * entries we already held.
         */
        IHAVE_IDS_SENT, IHAVE_IDS_RECEIVED, IWANT_IDS_SENT, ENTRIES_PULL_SERVED, PULLS_ABANDONED, IHAVE_IDS_KNOWN,
        /**
         * Lazy push, loss repair: ids pulled in the reply to our tree parent's echo (our copy is lost), and received
         * packets after which a pulled entry was relayed at once, not on the next tick.
         */
        IWANT_IDS_AT_ONCE, PULLED_RELAYED_AT_ONCE
    }

    private static final Counter[] ALL = Counter.values();
    private final AtomicLongArray values = new AtomicLongArray(ALL.length);

    public void increment(Counter c) {
        values.incrementAndGet(c.ordinal());
    }

    public void add(Counter c, long delta) {
        values.addAndGet(c.ordinal(), delta);
    }

    public long get(Counter c) {
        return values.get(c.ordinal());
    }

    /** A plain copy of every counter, in declaration order. */
    public Map<Counter, Long> snapshot() {
        EnumMap<Counter, Long> m = new EnumMap<>(Counter.class);
        for (Counter c : ALL) {
            m.put(c, values.get(c.ordinal()));
        }
        return Collections.unmodifiableMap(m);
    }

    /** Sum of all DROP_* counters. */
    public long droppedPackets() {
        long sum = 0;
        for (Counter c : ALL) {
            if (c.name().startsWith("DROP_")) {
                sum += get(c);
            }
        }
        return sum;
    }
}
