package org.poolwarden.pool.pipe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Shares one pipe between the hosts that use it, the same way on every host (seed 004, [0205]-[0215]).
 *
 * <p>Per tick, from every host's published queue split into booked and unbooked bytes, and its booking:
 * <ol>
 *   <li>Booked bytes of fresh hosts first, in full as long as they fit beside the bookings of the stale hosts (cut
 *       proportionally into that room otherwise: an insufficient-resources tick).</li>
 *   <li>Stale peers (entry older than {@link PipeConfig#freshIntervals(int)}: the refresh period plus k ticks,
 *       or unusable) are reserved {@code max(booking, (1-beta) * Q / N)} out of what the bookings left: never zero,
 *       and enough that groups which cannot hear each other overrun the pipe by at most {@code (m-1) * beta * Q}
 *       for m groups (N = members not declared dead; the bound needs only that the groups agree on N and that no
 *       host's booking rose while the others could not hear it, not on anybody's demand; see the package
 *       documentation for the derivation).</li>
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

    /** Orders entries by host id (every host sorts the same way, whatever order its exchange delivered). */
    private static final Comparator<PeerPipeState> BY_HOST = (a, b) -> a.hostId().compareTo(b.hostId());

    /** Total order on entries so that deduplication does not depend on arrival order. */
    private static final Comparator<PeerPipeState> ENTRY_ORDER = Comparator
            .comparing(PeerPipeState::hostId)
            .thenComparingLong(PeerPipeState::intervalNumber)
            .thenComparing(p -> p.liveness().ordinal())
            .thenComparingDouble(PeerPipeState::bookedBytes)
            .thenComparingDouble(PeerPipeState::unbookedBytes)
            .thenComparingInt(PeerPipeState::activeClasses)
            .thenComparingDouble(PeerPipeState::bookingBytes);

    /**
     * The sanitised entries of one round, as parallel arrays in host-id order (no object per host: this runs for
     * every pipe every 50 ms).
     */
    private static final class View {
        final String[] id;
        final double[] booked;
        final double[] unbooked;
        final double[] booking;
        final int[] weight;
        final boolean[] fresh;
        int n;

        View(int size) {
            id = new String[size];
            booked = new double[size];
            unbooked = new double[size];
            booking = new double[size];
            weight = new int[size];
            fresh = new boolean[size];
        }
    }

    /** Rejections collected lazily: almost every round has none. */
    private static final class Rejections {
        final String pipeId;
        List<Rejection> list;

        Rejections(String pipeId) {
            this.pipeId = pipeId;
        }

        void add(String hostId, String field, Object value, Rejection.Action action) {
            if (list == null) {
                list = new ArrayList<>(4);
            }
            list.add(new Rejection(pipeId, hostId, field, String.valueOf(value), action));
        }

        List<Rejection> sorted() {
            if (list == null) {
                return List.of();
            }
            if (list.size() > 1) {
                list.sort(Comparator.comparing(Rejection::hostId).thenComparing(Rejection::field)
                        .thenComparing(Rejection::value).thenComparing(Rejection::action));
            }
            return list;
        }
    }

    /**
     * One round. Order (seed 004 [0205]-[0215], with bookings ahead of the reservations of silent hosts):
     * <ol>
     *   <li>fresh hosts' booked bytes, in full as long as they fit beside the bookings of the silent hosts
     *       ({@code sum(fresh booked) <= Q - sum(silent booking)}), else cut proportionally into that room;</li>
     *   <li>silent hosts' reservations {@code max(booking, (1-beta) Q / N)}, cut proportionally into what the
     *       bookings left;</li>
     *   <li>unbooked bytes, the spare as devalued immediate credit.</li>
     * </ol>
     * Why bookings may go before the reservations without breaking the partition bound: a silent host is reserved
     * at least its booking as everybody last heard it, so a group's booked bytes are already reserved for it in
     * every other group's view (the derivation is in the package documentation).
     */
    public static PipeAllocation compute(PipeConfig cfg, long interval, Collection<PeerPipeState> raw) {
        final double q = cfg.bytesPerInterval();
        final double absurd = cfg.capacityBytesPerSec(); // a queue needing over 1 s of the whole pipe is not demand
        Rejections rejections = new Rejections(cfg.pipeId());

        // Deduplicate by host id, independent of input order: keep the newest entry, ties by content.
        PeerPipeState[] ordered = new PeerPipeState[raw.size()];
        int count = 0;
        boolean sorted = true;
        for (PeerPipeState p : raw) {
            if (p == null || p.hostId() == null || p.hostId().isBlank()) {
                rejections.add("?", "hostId", p == null ? "null" : p.hostId(), Rejection.Action.IGNORED_ENTRY);
                continue;
            }
            if (count > 0 && sorted && ordered[count - 1].hostId().compareTo(p.hostId()) > 0) {
                sorted = false;
            }
            ordered[count++] = p;
        }
        if (!sorted) {
            Arrays.sort(ordered, 0, count, BY_HOST); // callers that pass host-id order skip the sort
        }
        int unique = 0;
        for (int i = 0; i < count; i++) {
            PeerPipeState p = ordered[i];
            if (unique > 0 && ordered[unique - 1].hostId().equals(p.hostId())) {
                PeerPipeState prev = ordered[unique - 1];
                PeerPipeState keep = ENTRY_ORDER.compare(p, prev) > 0 ? p : prev;
                PeerPipeState drop = keep == p ? prev : p;
                ordered[unique - 1] = keep;
                rejections.add(p.hostId(), "duplicate entry", "interval " + drop.intervalNumber(),
                        Rejection.Action.IGNORED_ENTRY);
            } else {
                ordered[unique++] = p;
            }
        }

        int live = 0;
        for (int i = 0; i < unique; i++) {
            if (ordered[i].liveness() != Liveness.DEAD) {
                live++;
            }
        }
        // freshness depends on the pool's size (larger pools refresh entries less often), the same on every host
        // that counts the same members
        int freshFor = cfg.freshIntervals(live);
        View v = new View(live);
        for (int i = 0; i < unique; i++) {
            if (ordered[i].liveness() != Liveness.DEAD) {
                sanitise(cfg, interval, q, absurd, ordered[i], rejections, freshFor, v);
            }
        }
        List<Rejection> rejected = rejections.sorted();

        int n = v.n;
        if (n == 0) {
            return new PipeAllocation(cfg.pipeId(), interval, q, List.of(), false, rejected);
        }

        // 1. Fresh bookings first, as far as they fit beside the silent hosts' bookings.
        double freshBooked = 0;
        double silentBooking = 0;
        double totalUnbooked = 0;
        int fresh = 0;
        for (int i = 0; i < n; i++) {
            if (v.fresh[i]) {
                fresh++;
                freshBooked += v.booked[i];
                totalUnbooked += Math.min(v.unbooked[i], q);
            } else {
                silentBooking += v.booking[i];
            }
        }
        double room = Math.max(0.0, q - silentBooking);
        boolean bookedScaled = freshBooked > room;
        double bookedFactor = bookedScaled ? room / freshBooked : 1.0;
        double[] gBooked = new double[n];
        double sumBooked = 0;
        for (int i = 0; i < n; i++) {
            if (v.fresh[i]) {
                gBooked[i] = v.booked[i] * bookedFactor;
                sumBooked += gBooked[i];
            }
        }

        // 2. Reservations for silent hosts, in what the bookings left.
        double floorReserve = (1.0 - cfg.partitionSlack()) * q / n;
        double[] reserve = new double[n];
        double reserved = 0;
        for (int i = 0; i < n; i++) {
            if (!v.fresh[i]) {
                reserve[i] = Math.max(v.booking[i], floorReserve);
                reserved += reserve[i];
            }
        }
        double left = Math.max(0.0, q - sumBooked);
        if (reserved > left) {
            double f = reserved == 0 ? 0 : left / reserved;
            for (int i = 0; i < n; i++) {
                reserve[i] *= f;
            }
            reserved = left;
        }
        double avail = Math.max(0.0, left - reserved);

        // 3. Unbooked: all if it fits, else split.
        double[] gUnbooked = new double[n];
        double spare;
        if (totalUnbooked <= avail) {
            for (int i = 0; i < n; i++) {
                if (v.fresh[i]) {
                    gUnbooked[i] = Math.min(v.unbooked[i], q);
                }
            }
            spare = avail - totalUnbooked;
        } else {
            if (cfg.unbookedSplit() == UnbookedSplit.PROPORTIONAL) {
                double share = avail / totalUnbooked;
                for (int i = 0; i < n; i++) {
                    if (v.fresh[i]) {
                        gUnbooked[i] = Math.min(v.unbooked[i], q) * share;
                    }
                }
            } else {
                waterFill(v, q, avail, gUnbooked);
            }
            spare = 0;
        }

        // 4. Spare as devalued immediate credit, equally among fresh hosts.
        double face = fresh == 0 ? 0 : spare / fresh;
        long imm = (long) Math.floor(face * cfg.immediateFactor());

        long limit = (long) Math.floor(q);
        HostGrant[] grants = new HostGrant[n];
        long sumCredit = 0;
        for (int i = 0; i < n; i++) {
            if (v.fresh[i]) {
                long b = (long) Math.floor(gBooked[i]);
                long u = (long) Math.floor(gUnbooked[i]);
                long ent = (long) Math.floor(gBooked[i] + gUnbooked[i] + face);
                grants[i] = new HostGrant(v.id[i], false, b, u, imm, Math.max(ent, b + u + imm));
                sumCredit += b + u + imm;
            } else {
                grants[i] = new HostGrant(v.id[i], true, 0, 0, 0, (long) Math.floor(reserve[i]));
            }
        }
        if (sumCredit > limit) {
            // Only reachable through rounding of values that sum to exactly q: take the excess off immediate credit
            // in host-id order, so the fix is deterministic too.
            long excess = sumCredit - limit;
            for (int i = 0; i < n && excess > 0; i++) {
                HostGrant g = grants[i];
                long cut = Math.min(excess, g.immediateBytes());
                if (cut > 0) {
                    grants[i] = new HostGrant(g.hostId(), g.stale(), g.bookedBytes(), g.unbookedBytes(),
                            g.immediateBytes() - cut, g.entitlementBytes() - cut);
                    excess -= cut;
                }
            }
        }
        return new PipeAllocation(cfg.pipeId(), interval, q, Arrays.asList(grants), bookedScaled, rejected);
    }

    private static void sanitise(PipeConfig cfg, long interval, double q, double absurd, PeerPipeState p,
                                 Rejections rejections, int freshFor, View v) {
        String id = p.hostId();
        boolean usable = true;
        double booked = p.bookedBytes();
        double unbooked = p.unbookedBytes();
        double booking = p.bookingBytes();
        if (!Double.isFinite(booked) || booked < 0) {
            rejections.add(id, "bookedBytes", booked, Rejection.Action.IGNORED_ENTRY);
            usable = false;
        }
        if (!Double.isFinite(unbooked) || unbooked < 0) {
            rejections.add(id, "unbookedBytes", unbooked, Rejection.Action.IGNORED_ENTRY);
            usable = false;
        }
        if (!Double.isFinite(booking) || booking < 0) {
            if (Double.compare(booking, booked) != 0) { // an entry without a booking of its own carries its booked
                rejections.add(id, "bookingBytes", booking, Rejection.Action.IGNORED_ENTRY);
            }
            usable = false;
        }
        long at = p.intervalNumber();
        if (at != PeerPipeState.NEVER && at > interval + 1) {
            // From the future beyond clock-sync slack: do not let it look fresh forever.
            rejections.add(id, "intervalNumber", at, Rejection.Action.IGNORED_ENTRY);
            usable = false;
        }
        int k = v.n++;
        v.id[k] = id;
        v.weight[k] = 1;
        if (!usable) {
            // Nothing from a broken entry is believed: the peer keeps only the reservation floor.
            return;
        }
        if (booked > absurd) {
            rejections.add(id, "bookedBytes", booked, Rejection.Action.CLAMPED);
            booked = absurd;
        }
        if (unbooked > absurd) {
            rejections.add(id, "unbookedBytes", unbooked, Rejection.Action.CLAMPED);
            unbooked = absurd;
        }
        if (booking > absurd) {
            rejections.add(id, "bookingBytes", booking, Rejection.Action.CLAMPED);
            booking = absurd;
        }
        // No host can be granted more than the whole pipe in one tick; a booked queue beyond that is backlog.
        booked = Math.min(booked, q);
        booking = Math.min(booking, q);
        if (booked > booking) {
            // queued under bookings it does not have: silent, it would be reserved less than it takes when heard,
            // which the partition bound cannot allow. The excess competes as unbooked demand.
            rejections.add(id, "bookedBytes", booked + ">bookingBytes", Rejection.Action.CLAMPED);
            unbooked += booked - booking;
            booked = booking;
        }
        int weight = p.activeClasses();
        if (weight < 1) {
            if (unbooked > 0) {
                rejections.add(id, "activeClasses", weight, Rejection.Action.CLAMPED);
            }
            weight = 1;
        }
        v.booked[k] = booked;
        v.unbooked[k] = unbooked;
        v.booking[k] = booking;
        v.weight[k] = weight;
        v.fresh[k] = at != PeerPipeState.NEVER && interval - at < freshFor;
    }

    /**
     * Weighted max-min: each fresh host gets min(demand, weight * level) with the levels filling {@code avail}.
     * Saturating a host only raises the level, so hosts can be saturated pass by pass in host-id order without
     * sorting (a few passes in practice; deterministic because the order is fixed).
     */
    private static void waterFill(View v, double q, double avail, double[] out) {
        int n = v.n;
        boolean[] done = new boolean[n];
        double weightLeft = 0;
        for (int i = 0; i < n; i++) {
            if (v.fresh[i] && v.unbooked[i] > 0) {
                weightLeft += v.weight[i];
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
                double d = Math.min(v.unbooked[i], q);
                if (d <= v.weight[i] * level) {
                    out[i] = d;
                    left -= d;
                    weightLeft -= v.weight[i];
                    done[i] = true;
                    changed = true;
                }
            }
        }
        if (weightLeft > 0) {
            double level = Math.max(0, left) / weightLeft;
            for (int i = 0; i < n; i++) {
                if (!done[i]) {
                    out[i] = v.weight[i] * level;
                }
            }
        }
    }
}
