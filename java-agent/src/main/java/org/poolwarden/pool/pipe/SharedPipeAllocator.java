package org.poolwarden.pool.pipe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Shares one pipe between the hosts that use it, the same way on every host (seed 004, [0205]-[0215]).
 *
 * <p>Per tick, from every host's published queue split into booked and unbooked bytes:
 * <ol>
 *   <li>Stale peers (entry older than {@link PipeConfig#freshIntervals(int)}: the refresh period plus k ticks,
 *       or unusable) are reserved
 *       {@code max(lastBooked, (1-beta) * Q / N)}: never zero, and enough that groups which cannot hear each other
 *       overrun the pipe by at most {@code (m-1) * beta * Q} for m groups (N = members not declared dead; the
 *       bound needs only that the groups agree on N, not on anybody's demand).</li>
 *   <li>Booked bytes of fresh hosts first (cut proportionally if they do not fit: an insufficient-resources tick).</li>
 *   <li>Unbooked bytes, all of them if they fit, else split (max-min weighted by backlogged classes, or
 *       proportionally, per {@link UnbookedSplit}).</li>
 *   <li>The spare, split equally among fresh hosts as immediate credit, devalued by the pipe's factor because
 *       nobody knows whether it will be used early or late in the tick.</li>
 * </ol>
 * The function is pure: the result depends only on the config, the tick number and the set of entries (not their
 * order), so every host with the same view computes the same grants for everybody. Floating-point work is done in
 * host-id order and results are floored to whole bytes, so the sum of credits never exceeds the pipe.
 *
 * <p>Instances only add counters around the pure {@link #compute} function.
 */
public final class SharedPipeAllocator {

    private final PipeConfig config;
    private long allocations;
    private long rejectedValues;
    private long ignoredEntries;
    private long staleHostTicks;
    private long bookedScaledTicks;

    public SharedPipeAllocator(PipeConfig config) {
        this.config = config;
    }

    public PipeConfig config() {
        return config;
    }

    /** One allocation round at a clock reading (the tick is derived from the injected clock). */
    public PipeAllocation allocate(long nowNanos, Collection<PeerPipeState> entries) {
        PipeAllocation a = compute(config, config.intervalAt(nowNanos), entries);
        allocations++;
        for (Rejection r : a.rejections()) {
            if (r.action() == Rejection.Action.IGNORED_ENTRY) {
                ignoredEntries++;
            } else {
                rejectedValues++;
            }
        }
        for (HostGrant g : a.grants()) {
            if (g.stale()) {
                staleHostTicks++;
            }
        }
        if (a.bookedScaled()) {
            bookedScaledTicks++;
        }
        return a;
    }

    public long allocations() {
        return allocations;
    }

    /** Peer values clamped (above one second of the pipe, future tick numbers, bad class counts). */
    public long rejectedValues() {
        return rejectedValues;
    }

    /** Peer entries ignored as a whole (negative, NaN, infinite demand; blank or duplicate host id). */
    public long ignoredEntries() {
        return ignoredEntries;
    }

    /** Sum over ticks of the hosts counted only by their reservation. */
    public long staleHostTicks() {
        return staleHostTicks;
    }

    /** Ticks in which fresh bookings did not fit the pipe. */
    public long bookedScaledTicks() {
        return bookedScaledTicks;
    }

    /** Sanitised view of one entry. */
    private record Entry(String hostId, double booked, double unbooked, int weight, boolean fresh) {
    }

    public static PipeAllocation compute(PipeConfig cfg, long interval, Collection<PeerPipeState> raw) {
        final double q = cfg.bytesPerInterval();
        final double absurd = cfg.capacityBytesPerSec(); // a queue needing over 1 s of the whole pipe is not demand
        List<Rejection> rejections = new ArrayList<>();

        // Deduplicate by host id, independent of input order: keep the newest entry, ties by content.
        PeerPipeState[] ordered = new PeerPipeState[raw.size()];
        int count = 0;
        for (PeerPipeState p : raw) {
            if (p == null || p.hostId() == null || p.hostId().isBlank()) {
                rejections.add(new Rejection(cfg.pipeId(), "?", "hostId", p == null ? "null" : String.valueOf(
                        p.hostId()), Rejection.Action.IGNORED_ENTRY));
                continue;
            }
            ordered[count++] = p;
        }
        Arrays.sort(ordered, 0, count, BY_HOST);
        List<PeerPipeState> byHost = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            PeerPipeState p = ordered[i];
            int last = byHost.size() - 1;
            if (last >= 0 && byHost.get(last).hostId().equals(p.hostId())) {
                PeerPipeState prev = byHost.get(last);
                PeerPipeState keep = ENTRY_ORDER.compare(p, prev) > 0 ? p : prev;
                PeerPipeState drop = keep == p ? prev : p;
                byHost.set(last, keep);
                rejections.add(new Rejection(cfg.pipeId(), p.hostId(), "duplicate entry", "interval "
                        + drop.intervalNumber(), Rejection.Action.IGNORED_ENTRY));
            } else {
                byHost.add(p);
            }
        }

        List<Entry> entries = new ArrayList<>(byHost.size());
        int live = 0;
        for (PeerPipeState p : byHost) {
            if (p.liveness() == Liveness.DEAD) {
                continue;
            }
            live++;
        }
        // freshness depends on the pool's size (larger pools refresh entries less often), the same on every host
        // that counts the same members
        int freshFor = cfg.freshIntervals(live);
        for (PeerPipeState p : byHost) {
            if (p.liveness() == Liveness.DEAD) {
                continue;
            }
            entries.add(sanitise(cfg, interval, q, absurd, p, rejections, freshFor));
        }
        if (rejections.size() > 1) {
            rejections.sort(Comparator.comparing(Rejection::hostId).thenComparing(Rejection::field)
                    .thenComparing(Rejection::value).thenComparing(Rejection::action));
        }

        int n = entries.size();
        List<HostGrant> grants = new ArrayList<>(n);
        if (n == 0) {
            return new PipeAllocation(cfg.pipeId(), interval, q, grants, false, rejections);
        }

        // 1. Reservations for stale hosts.
        double floorReserve = (1.0 - cfg.partitionSlack()) * q / n;
        double[] reserve = new double[n];
        double reserved = 0;
        int fresh = 0;
        for (int i = 0; i < n; i++) {
            Entry e = entries.get(i);
            if (e.fresh()) {
                fresh++;
            } else {
                reserve[i] = Math.max(e.booked(), floorReserve);
                reserved += reserve[i];
            }
        }
        if (reserved > q) {
            double f = q / reserved;
            for (int i = 0; i < n; i++) {
                reserve[i] *= f;
            }
            reserved = q;
        }
        double avail = Math.max(0.0, q - reserved);

        // 2. Booked first.
        double totalBooked = 0;
        double totalUnbooked = 0;
        for (Entry e : entries) {
            if (e.fresh()) {
                totalBooked += e.booked();
                totalUnbooked += Math.min(e.unbooked(), q);
            }
        }
        boolean bookedScaled = totalBooked > avail;
        double bookedFactor = bookedScaled ? avail / totalBooked : 1.0;
        double[] gBooked = new double[n];
        double sumBooked = 0;
        for (int i = 0; i < n; i++) {
            Entry e = entries.get(i);
            if (e.fresh()) {
                gBooked[i] = e.booked() * bookedFactor;
                sumBooked += gBooked[i];
            }
        }
        avail = Math.max(0.0, avail - sumBooked);

        // 3. Unbooked: all if it fits, else split.
        double[] gUnbooked = new double[n];
        double spare;
        if (totalUnbooked <= avail) {
            for (int i = 0; i < n; i++) {
                Entry e = entries.get(i);
                if (e.fresh()) {
                    gUnbooked[i] = Math.min(e.unbooked(), q);
                }
            }
            spare = avail - totalUnbooked;
        } else {
            if (cfg.unbookedSplit() == UnbookedSplit.PROPORTIONAL) {
                double share = avail / totalUnbooked;
                for (int i = 0; i < n; i++) {
                    Entry e = entries.get(i);
                    if (e.fresh()) {
                        gUnbooked[i] = Math.min(e.unbooked(), q) * share;
                    }
                }
            } else {
                waterFill(entries, q, avail, gUnbooked);
            }
            spare = 0;
        }

        // 4. Spare as devalued immediate credit, equally among fresh hosts.
        double face = fresh == 0 ? 0 : spare / fresh;
        double immediate = face * cfg.immediateFactor();

        long limit = (long) Math.floor(q);
        long[] credit = new long[n];
        long sumCredit = 0;
        for (int i = 0; i < n; i++) {
            Entry e = entries.get(i);
            if (e.fresh()) {
                long b = (long) Math.floor(gBooked[i]);
                long u = (long) Math.floor(gUnbooked[i]);
                long imm = (long) Math.floor(immediate);
                long ent = (long) Math.floor(gBooked[i] + gUnbooked[i] + face);
                grants.add(new HostGrant(e.hostId(), false, b, u, imm, Math.max(ent, b + u + imm)));
                credit[i] = b + u + imm;
                sumCredit += credit[i];
            } else {
                grants.add(new HostGrant(e.hostId(), true, 0, 0, 0, (long) Math.floor(reserve[i])));
            }
        }
        if (sumCredit > limit) {
            // Only reachable through rounding of values that sum to exactly q: take the excess off immediate credit
            // in host-id order, so the fix is deterministic too.
            long excess = sumCredit - limit;
            for (int i = 0; i < n && excess > 0; i++) {
                HostGrant g = grants.get(i);
                long cut = Math.min(excess, g.immediateBytes());
                if (cut > 0) {
                    grants.set(i, new HostGrant(g.hostId(), g.stale(), g.bookedBytes(), g.unbookedBytes(),
                            g.immediateBytes() - cut, g.entitlementBytes() - cut));
                    excess -= cut;
                }
            }
        }
        return new PipeAllocation(cfg.pipeId(), interval, q, grants, bookedScaled, rejections);
    }

    private static final Comparator<PeerPipeState> BY_HOST = Comparator.comparing(PeerPipeState::hostId);

    /** Total order on entries so that deduplication does not depend on arrival order. */
    private static final Comparator<PeerPipeState> ENTRY_ORDER = Comparator
            .comparing(PeerPipeState::hostId)
            .thenComparingLong(PeerPipeState::intervalNumber)
            .thenComparing(p -> p.liveness().ordinal())
            .thenComparingDouble(PeerPipeState::bookedBytes)
            .thenComparingDouble(PeerPipeState::unbookedBytes)
            .thenComparingInt(PeerPipeState::activeClasses);

    private static Entry sanitise(PipeConfig cfg, long interval, double q, double absurd, PeerPipeState p,
                                  List<Rejection> rejections, int freshFor) {
        String id = p.hostId();
        boolean usable = true;
        double booked = p.bookedBytes();
        double unbooked = p.unbookedBytes();
        if (!Double.isFinite(booked) || booked < 0) {
            rejections.add(new Rejection(cfg.pipeId(), id, "bookedBytes", String.valueOf(booked),
                    Rejection.Action.IGNORED_ENTRY));
            usable = false;
            booked = 0; // the reservation floor still holds the peer's place
        }
        if (!Double.isFinite(unbooked) || unbooked < 0) {
            rejections.add(new Rejection(cfg.pipeId(), id, "unbookedBytes", String.valueOf(unbooked),
                    Rejection.Action.IGNORED_ENTRY));
            usable = false;
            unbooked = 0;
        }
        if (booked > absurd) {
            rejections.add(new Rejection(cfg.pipeId(), id, "bookedBytes", String.valueOf(booked),
                    Rejection.Action.CLAMPED));
            booked = absurd;
        }
        if (unbooked > absurd) {
            rejections.add(new Rejection(cfg.pipeId(), id, "unbookedBytes", String.valueOf(unbooked),
                    Rejection.Action.CLAMPED));
            unbooked = absurd;
        }
        // No host can be granted more than the whole pipe in one tick; a booked queue beyond that is backlog.
        booked = Math.min(booked, q);
        int weight = p.activeClasses();
        if (weight < 1) {
            if (unbooked > 0) {
                rejections.add(new Rejection(cfg.pipeId(), id, "activeClasses", String.valueOf(weight),
                        Rejection.Action.CLAMPED));
            }
            weight = 1;
        }
        long at = p.intervalNumber();
        boolean fresh;
        if (at == PeerPipeState.NEVER) {
            fresh = false;
        } else {
            if (at > interval + 1) {
                // From the future beyond clock-sync slack: do not let it look fresh forever.
                rejections.add(new Rejection(cfg.pipeId(), id, "intervalNumber", String.valueOf(at),
                        Rejection.Action.IGNORED_ENTRY));
                usable = false;
            }
            long age = interval - at;
            fresh = age < freshFor;
        }
        if (!usable) {
            // Nothing from a broken entry is believed: the peer keeps only the reservation floor.
            return new Entry(id, 0, 0, 1, false);
        }
        return new Entry(id, booked, unbooked, weight, fresh);
    }

    /**
     * Weighted max-min: each fresh host gets min(demand, weight * level) with the levels filling {@code avail}.
     * Saturating a host only raises the level, so hosts can be saturated pass by pass in host-id order without
     * sorting (a few passes in practice; deterministic because the order is fixed).
     */
    private static void waterFill(List<Entry> entries, double q, double avail, double[] out) {
        int n = entries.size();
        boolean[] done = new boolean[n];
        double weightLeft = 0;
        for (int i = 0; i < n; i++) {
            Entry e = entries.get(i);
            if (e.fresh() && e.unbooked() > 0) {
                weightLeft += e.weight();
            } else {
                done[i] = true;
            }
        }
        double left = avail;
        boolean changed = true;
        while (changed && weightLeft > 0) {
            changed = false;
            double level = left / weightLeft;
            for (int i = 0; i < n; i++) {
                if (done[i]) {
                    continue;
                }
                Entry e = entries.get(i);
                double d = Math.min(e.unbooked(), q);
                if (d <= e.weight() * level) {
                    out[i] = d;
                    left -= d;
                    weightLeft -= e.weight();
                    done[i] = true;
                    changed = true;
                }
            }
        }
        if (weightLeft > 0) {
            double level = Math.max(0, left) / weightLeft;
            for (int i = 0; i < n; i++) {
                if (!done[i]) {
                    out[i] = entries.get(i).weight() * level;
                }
            }
        }
    }
}
