package org.poolwarden.pool.share;

import java.util.HashMap;
import java.util.Map;
import org.poolwarden.tc.bandwidth.BandwidthController;
import org.poolwarden.tc.bandwidth.BandwidthStats;

/**
 * Demand of a real host from its HTB class counters. HTB does not show how much an application would send: what
 * waits in TCP's socket buffers is invisible, and the leaf queue is short. So a class's need for the next interval
 * is what it sent in the last one plus its backlog, and a class that was held back (backlog, drops or overlimits
 * during the interval) asks for {@link #SATURATED_GROWTH} times what it sent on top: a saturated class can then
 * grow into spare capacity within a few rounds, and the max-min split keeps the overstatement from costing others.
 * One instance per coordinator; reads one class dump per pipe and interval.
 */
public final class HtbPipeTraffic implements PipeTraffic {

    /** Extra demand of a held-back class, as a multiple of what it sent (1: ask for twice the current rate). */
    public static final double SATURATED_GROWTH = 1.0;

    private final BandwidthController tc;
    private final Map<String, Map<String, long[]>> last = new HashMap<>();
    private long readErrors;

    public HtbPipeTraffic(BandwidthController tc) {
        this.tc = tc;
    }

    @Override
    public boolean shapedByTokenBucket() {
        return true;
    }

    public long readErrors() {
        return readErrors;
    }

    @Override
    public Sample sample(SharedPipe pipe, long nowNanos) {
        BandwidthStats stats;
        try {
            stats = tc.stats(pipe.device());
        } catch (RuntimeException e) {
            readErrors++; // no tree yet (first round) or the device is gone: no demand known
            return new Sample(Map.of(), 0);
        }
        Map<String, long[]> prev = last.computeIfAbsent(pipe.pipeId(), k -> new HashMap<>());
        // Rounds do not come exactly one tick apart (scheduling jitter): counts are scaled to one tick, or a late
        // round would look like an overdraft and an early one like falling demand.
        long[] at = prev.computeIfAbsent("\u0000at", k -> new long[] {Long.MIN_VALUE, 0, 0});
        long tick = pipe.config().tickNanos();
        double scale = at[0] == Long.MIN_VALUE ? 1.0
                : Math.max(0.5, Math.min(2.0, (double) tick / Math.max(1, nowNanos - at[0])));
        at[0] = nowNanos;
        Map<String, Long> queued = new HashMap<>();
        long sent = 0;
        for (BandwidthStats.ClassCounters c : stats.egress()) {
            long[] p = prev.get(c.app());
            long dBytes = p == null ? 0 : (long) (Math.max(0, c.bytes() - p[0]) * scale);
            long dDrops = p == null ? 0 : Math.max(0, c.drops() - p[1]);
            long dOver = p == null ? 0 : Math.max(0, c.overlimits() - p[2]);
            prev.put(c.app(), new long[] {c.bytes(), c.drops(), c.overlimits()});
            if (c.app().equals("root")) {
                sent = dBytes;
                continue;
            }
            if (!pipe.appMinors().containsKey(c.app())) {
                continue; // the default class: unclassified traffic has no booking and no claim
            }
            boolean heldBack = c.backlogBytes() > 0 || dDrops > 0 || dOver > 0;
            long need = dBytes + c.backlogBytes() + (heldBack ? (long) (SATURATED_GROWTH * dBytes) : 0);
            queued.put(c.app(), need);
        }
        return new Sample(queued, sent);
    }
}
