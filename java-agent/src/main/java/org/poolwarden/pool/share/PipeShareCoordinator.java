package org.poolwarden.pool.share;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.poolwarden.exchange.ExchangeListener;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.membership.MemberState;
import org.poolwarden.exchange.membership.MemberView;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.pool.cpu.CpuAllocation;
import org.poolwarden.pool.cpu.HostCpu;
import org.poolwarden.pool.cpu.Instances;
import org.poolwarden.pool.cpu.PoolCpuAllocator;
import org.poolwarden.pool.pipe.ClassRate;
import org.poolwarden.pool.pipe.HostClassSplitter;
import org.poolwarden.pool.pipe.HostGrant;
import org.poolwarden.pool.pipe.Liveness;
import org.poolwarden.pool.pipe.OverdraftLedger;
import org.poolwarden.pool.pipe.PeerPipeState;
import org.poolwarden.pool.pipe.PipeAllocation;
import org.poolwarden.pool.pipe.PipeBooking;
import org.poolwarden.pool.pipe.PipeBookings;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.pipe.Rejection;
import org.poolwarden.pool.pipe.SharedPipeAllocator;
import org.poolwarden.pool.policy.PolicyCatalog;
import org.poolwarden.pool.policy.PolicySet;
import org.poolwarden.pool.policy.VersionedPolicy;
import org.poolwarden.pool.rescale.Granted;
import org.poolwarden.pool.rescale.InsufficiencyTracker;
import org.poolwarden.pool.rescale.RescaleResult;
import org.poolwarden.pool.share.ShareCounters.Counter;
import org.poolwarden.tc.bandwidth.BandwidthController;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.SpecValidator;

/**
 * Runs the pure pipe allocator over the exchange, once per interval and pipe (seed 004 [0205]-[0216]):
 * <ol>
 *   <li>sample this host's traffic; the bytes sent in the last interval go to the {@link OverdraftLedger};</li>
 *   <li>split each app's queue into booked (up to its booking from the policy set, rescaled by priority when the
 *       bookings exceed the pipe) and unbooked bytes;</li>
 *   <li>allocate from every participant's entry of the previous interval, this host's own included, so that all
 *       hosts compute from the same inputs; liveness from membership (failed and left members are released at
 *       once, silent ones are reserved by the allocator, never counted at zero);</li>
 *   <li>pay the overdraft, split the grant over the app classes and hand rate/ceil to the bandwidth controller;</li>
 *   <li>publish this interval's demand for the next round.</li>
 * </ol>
 * Policies set on any host travel as {@code pol/KEY} entries of their origin and merge into a last-writer-wins
 * {@link PolicySet} on every host. Peer values are never trusted or re-published as this host's own: the demand
 * this host publishes is computed from its own counters only, and peer numbers are sanitised (and counted) by
 * the allocator. Not thread-safe: call everything from the exchange node's thread.
 *
 * <p>{@code nowNanos} must come from a clock the pool agrees on (epoch-based, NTP-synchronised): interval numbers
 * are compared across hosts.
 */
public final class PipeShareCoordinator implements ExchangeListener {

    /** Rates may rise by this much before the kernel is told (a lower rate is always applied at once). */
    static final double RAISE_HYSTERESIS = 0.02;
    /** Decoded entries kept per peer and pipe: enough to pick the previous interval's under gossip reordering. */
    static final int HISTORY = 6;
    /**
     * Round t allocates from the entries of interval t-1: the freshest demand. An entry reaches a peer only at the
     * exchange's next gossip round (up to one fast tick later) plus a hop per relay, so peers that have not yet
     * heard it use an older one and the views differ for a round; a lag of 2 gives the entry a whole interval to
     * spread (consistent views, less overshoot) at the cost of reacting 50 ms later.
     */
    public static final int DEFAULT_DECISION_LAG = 1;

    private final ExchangeAccess exchange;
    private final String selfId;
    private final Map<String, PipeState> pipes = new LinkedHashMap<>();
    private final PipeTraffic traffic;
    private final BandwidthController tc;
    private final ShareCounters counters = new ShareCounters();
    private int decisionLag = DEFAULT_DECISION_LAG;
    private PolicySet policies = PolicySet.empty();
    private PolicyCatalog catalog = PolicyCatalog.of(PolicySet.empty());
    /** Members membership declared failed or left, until they are heard alive again (survives reaping). */
    private final Set<Long> released = new HashSet<>();
    /** When each released member was released (clock of this host), to tell its later entries from relayed old ones. */
    private final Map<Long, Long> releasedAtNanos = new HashMap<>();
    private long nowNanos;
    /** Members declared failed while no majority was alive here (maybe a partition): still reserved. */
    private final Set<Long> held = new HashSet<>();
    private final List<String> recentEvents = new ArrayList<>();
    private CpuSource cpu;
    /** Membership as read once per tick (every pipe's round uses the same view). */
    private List<MemberView> tickMembers;
    private Map<Long, Liveness> tickLiveness;
    /** {@link #hostId} of every member seen, not rebuilt each round. */
    private final Map<Long, String> hostIds = new HashMap<>();
    private long lastCpuInterval = Long.MIN_VALUE;
    private HostCpuEntry cpuPublished;
    private final Map<Long, long[]> cpuVersions = new HashMap<>();
    private final Map<Long, HostCpuEntry> cpuEntries = new HashMap<>();
    private final InsufficiencyTracker cpuInsufficiency = new InsufficiencyTracker();
    private CpuAllocation cpuAllocation;

    /** Cores above this in a peer's entry are not a host (the allocator would let it swallow every policy). */
    static final double MAX_CORES = 65_536;

    private static final class PipeState {
        final SharedPipe pipe;
        final SharedPipeAllocator allocator;
        final OverdraftLedger ledger = new OverdraftLedger();
        final InsufficiencyTracker insufficiency = new InsufficiencyTracker();
        final Map<Long, Peer> peers = new HashMap<>();
        long lastInterval = Long.MIN_VALUE;
        boolean begun;
        PipeAllocation allocation;
        List<ClassRate> rates = List.of();
        BandwidthSpec applied;
        RescaleResult bookings;
        PolicyCatalog bookingsOf;
        /** The pipe's app classes in HTB order, and each one's booked bytes per interval (same index). */
        final String[] appIds;
        final long[] bookedPerTick;
        /** This round's queue per class (same index), reused every round: no object per class. */
        final long[] booked;
        final long[] unbooked;
        /** The sum of {@link #bookedPerTick}: this host's booking, published so that silent peers reserve it. */
        long bookingPerTick;
        PipeDemandEntry published;
        final String demandKey;

        PipeState(SharedPipe pipe) {
            this.pipe = pipe;
            this.demandKey = ShareCodec.demandKey(pipe.pipeId());
            this.appIds = pipe.appMinors().keySet().toArray(new String[0]);
            this.bookedPerTick = new long[appIds.length];
            this.booked = new long[appIds.length];
            this.unbooked = new long[appIds.length];
            this.allocator = new SharedPipeAllocator(pipe.config());
        }
    }

    /** What this host holds from one peer for one pipe: the last few decoded entries, newest first. */
    private static final class Peer {
        final String hostId;
        long version = Long.MIN_VALUE;
        final ArrayDeque<PipeDemandEntry> history = new ArrayDeque<>(HISTORY);
        /** What the last round handed the allocator, reused while entry and liveness stay (most rounds). */
        PipeDemandEntry usedEntry;
        Liveness usedLiveness;
        double usedLimit;
        PeerPipeState used;

        Peer(long memberId) {
            this.hostId = hostId(memberId);
        }
    }

    /**
     * @param exchange the exchange node this host runs
     * @param pipes    the pipes this host shares (pipe ids unique)
     * @param traffic  where queue and sent bytes come from
     * @param tc       where rates go; null to compute only (simulations)
     */
    public PipeShareCoordinator(ExchangeAccess exchange, List<SharedPipe> pipes, PipeTraffic traffic,
                                BandwidthController tc) {
        this.exchange = exchange;
        this.selfId = hostId(exchange.selfId());
        this.traffic = traffic;
        this.tc = tc;
        for (SharedPipe p : pipes) {
            if (pipes.stream().filter(o -> o.pipeId().equals(p.pipeId())).count() > 1) {
                throw new IllegalArgumentException("pipe " + p.pipeId() + ": configured twice");
            }
            this.pipes.put(p.pipeId(), new PipeState(p));
        }
    }

    /**
     * Also runs the pool CPU policies ({@code cpu/APP}) each fast tick: publishes this host's cores and instances
     * (when they change) and computes every host's caps and weights with {@link PoolCpuAllocator}, rescaled by
     * priority over the live members' CPU.
     */
    public PipeShareCoordinator withCpu(CpuSource source) {
        this.cpu = source;
        return this;
    }

    /** The last pool CPU allocation (every host's caps and weights), if CPU policies run here. */
    public Optional<CpuAllocation> cpuAllocation() {
        return Optional.ofNullable(cpuAllocation);
    }

    /** Allocate round t from the entries of interval t - lag (1 or more). */
    public PipeShareCoordinator decisionLag(int lag) {
        if (lag < 1 || lag >= HISTORY) {
            throw new IllegalArgumentException("decisionLag=" + lag + " must be in 1.." + (HISTORY - 1));
        }
        this.decisionLag = lag;
        return this;
    }

    /** The allocator's host id of an exchange member: its decimal id, the same string on every host. */
    public static String hostId(long memberId) {
        return Long.toString(memberId);
    }

    public ShareCounters counters() {
        return counters;
    }

    public PolicySet policies() {
        return policies;
    }

    public Optional<PipeAllocation> allocation(String pipeId) {
        return Optional.ofNullable(state(pipeId).allocation);
    }

    /** This host's per-class rates of the last round (bytes per second), in the pipe's app order. */
    public List<ClassRate> rates(String pipeId) {
        return state(pipeId).rates;
    }

    /** This host's grant of the last round, if it was counted. */
    public Optional<HostGrant> grant(String pipeId) {
        PipeAllocation a = state(pipeId).allocation;
        return a == null ? Optional.empty() : a.grant(selfId);
    }

    public Optional<PipeDemandEntry> published(String pipeId) {
        return Optional.ofNullable(state(pipeId).published);
    }

    public Optional<RescaleResult> bookings(String pipeId) {
        return Optional.ofNullable(state(pipeId).bookings);
    }

    public SharedPipeAllocator allocator(String pipeId) {
        return state(pipeId).allocator;
    }

    public OverdraftLedger ledger(String pipeId) {
        return state(pipeId).ledger;
    }

    /** Membership reactions and booking events, oldest first (bounded). */
    public List<String> recentEvents() {
        return List.copyOf(recentEvents);
    }

    private PipeState state(String pipeId) {
        PipeState s = pipes.get(pipeId);
        if (s == null) {
            throw new IllegalArgumentException("no shared pipe '" + pipeId + "' on host " + selfId);
        }
        return s;
    }

    // ------------------------------------------------------------ policies

    /**
     * Sets (or, with {@code body == null}, deletes) a policy on this host: one version above the highest seen,
     * merged locally and published for the pool. Body syntax is checked first ({@link PolicyCatalog}), so a
     * broken policy never leaves this host.
     */
    public VersionedPolicy setPolicy(String key, String body) {
        ShareCodec.requireKey(ShareCodec.policyKey(key), "policy key");
        VersionedPolicy p = body == null ? policies.nextDeletion(key, selfId) : policies.nextVersion(key, selfId, body);
        List<String> problems = PolicyCatalog.of(PolicySet.of(List.of(p))).problems();
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(problems.get(0));
        }
        byte[] value = ShareCodec.encodePolicy(p);
        merge(p);
        exchange.publish(ShareCodec.policyKey(key), value);
        counters.increment(Counter.POLICY_SET);
        return p;
    }

    private void merge(VersionedPolicy p) {
        if (!p.deleted() && !PolicyCatalog.of(PolicySet.of(List.of(p))).problems().isEmpty()) {
            // every host applies the same check, so all of them drop the copy and still converge
            counters.increment(Counter.POLICY_PROBLEM);
            note("policy " + p.key() + " v" + p.version() + " from " + p.originId() + " rejected: "
                    + PolicyCatalog.of(PolicySet.of(List.of(p))).problems().get(0));
            return;
        }
        PolicySet next = policies.with(p);
        if (next == policies) {
            counters.increment(Counter.POLICY_SUPERSEDED);
            return;
        }
        counters.increment(Counter.POLICY_APPLIED);
        policies = next;
        catalog = PolicyCatalog.of(policies);
    }

    // ------------------------------------------------------------ exchange events

    @Override
    public void onEntry(Message.Entry e, long nodeNanos) {
        if (e.key().startsWith(ShareValueType.POLICY_PREFIX)) {
            if (ShareCodec.type(e.value()) != ShareValueType.POLICY) {
                unknownOrMalformed(e.value());
                return;
            }
            String key = e.key().substring(ShareValueType.POLICY_PREFIX.length());
            try {
                merge(ShareCodec.decodePolicy(key, e.value()));
            } catch (MalformedShareValueException ex) {
                counters.increment(Counter.MALFORMED_VALUE);
            }
        } else if (e.key().startsWith(ShareValueType.DEMAND_PREFIX)
                && !pipes.containsKey(e.key().substring(ShareValueType.DEMAND_PREFIX.length()))) {
            counters.increment(Counter.UNKNOWN_PIPE);
        }
        // demand of known pipes is read from the store at the next round (only the newest version matters)
    }

    private void unknownOrMalformed(byte[] v) {
        int t = ShareCodec.type(v);
        counters.increment(t > ShareValueType.POLICY ? Counter.UNKNOWN_VALUE_TYPE : Counter.MALFORMED_VALUE);
    }

    @Override
    public void onMemberEvent(MemberEvent e) {
        switch (e.type()) {
            case LEFT -> release(e.member(), "left");
            case FAILED -> {
                if (e.member() == exchange.selfId() || released.contains(e.member())) {
                    return;
                }
                if (quorumWithout(e.member()) && !heardRecently(e.member())) {
                    release(e.member(), "failed");
                } else if (held.add(e.member())) {
                    // this side may be the smaller half of a partition: keep reserving the member (the partition
                    // bound holds only while nobody releases the other side) until a majority is heard again; and
                    // a member whose demand still arrives is alive, whatever membership concluded
                    counters.increment(Counter.MEMBER_HELD);
                    note("member " + e.member() + " failed, but no majority is alive here or it is still heard: held");
                }
            }
            case JOINED, ALIVE -> {
                held.remove(e.member());
                releasedAtNanos.remove(e.member());
                if (released.remove(e.member())) {
                    counters.increment(Counter.MEMBER_RESTORED);
                    note("member " + e.member() + " " + e.type() + ": restored");
                }
            }
            default -> {
            }
        }
    }

    private void release(long member, String why) {
        held.remove(member);
        if (member != exchange.selfId() && released.add(member)) {
            releasedAtNanos.put(member, nowNanos);
            counters.increment(Counter.MEMBER_RELEASED);
            note("member " + member + " " + why + ": released from " + pipes.size() + " pipe(s)");
            adoptPoliciesOf(hostId(member));
        }
    }

    /**
     * Whether more than half of the members this host knows (alive, suspect, held, released and the one in
     * question) would still be alive, heard and not suspect without {@code member}. A single failure passes; the
     * smaller half of a partition does not, and neither half of an even split.
     */
    private boolean quorumWithout(long member) {
        int live = 0;
        int known = 0;
        for (MemberView m : exchange.members()) {
            known++;
            // suspects do not count: a partition makes the whole other side suspect before the first is declared
            boolean alive = m.state() == MemberState.ALIVE && !released.contains(m.id()) && !held.contains(m.id())
                    && m.id() != member && heardRecently(m.id());
            if (alive) {
                live++;
            }
        }
        for (long r : released) {
            if (exchange.members().stream().noneMatch(m -> m.id() == r)) {
                known++; // reaped already, still one of the pool
            }
        }
        return 2 * live > known;
    }

    /**
     * Whether a member's demand reached this host within the staleness limit on some pipe it shares. Membership
     * suspects the far side of a partition one member at a time; its demand entries stop for all of them at once.
     */
    private boolean heardRecently(long id) {
        if (id == exchange.selfId()) {
            return true;
        }
        boolean shares = false;
        for (PipeState s : pipes.values()) {
            Peer p = s.peers.get(id);
            if (p == null) {
                continue;
            }
            shares = true;
            PipeDemandEntry d = p.history.peekFirst();
            if (d != null && d.interval() >= s.lastInterval - s.pipe.config().freshIntervals(s.peers.size())) {
                return true;
            }
        }
        return !shares; // no pipe in common: membership alone decides
    }

    /**
     * A released member that publishes demand measured after its release is alive, whatever membership concluded:
     * after a partition, membership can keep both sides declared dead to each other while their packets flow again
     * (seen in the pool simulation). It is counted again (held, like a failed member still heard, while membership
     * says dead), since it allocates its own share from its own view anyway. A dead host cannot produce a newer
     * interval; old entries relayed late are older than the release.
     */
    private void heardAfterRelease(long id, PipeConfig cfg, PipeDemandEntry d) {
        if (releasedAtNanos.isEmpty()) {
            return; // the usual case, without boxing the id
        }
        Long at = releasedAtNanos.get(id);
        if (at == null || d.interval() <= cfg.intervalAt(at)) {
            return;
        }
        released.remove(id);
        releasedAtNanos.remove(id);
        MemberView m = members().stream().filter(v -> v.id() == id).findFirst().orElse(null);
        if (m != null && m.state() == MemberState.DEAD) {
            held.add(id);
        }
        counters.increment(Counter.MEMBER_RESTORED);
        note("member " + id + " published demand after its release: counted again");
    }

    /** Held members are released once a majority is back, or when membership reaps them anyway. */
    private void reviewHeld() {
        if (held.isEmpty()) {
            return;
        }
        for (Long h : List.copyOf(held)) {
            boolean known = members().stream().anyMatch(m -> m.id() == h);
            if (!known) {
                held.remove(h); // reaped: gone from every view
            } else if (quorumWithout(h) && !heardRecently(h)) {
                // (a member whose demand still arrives is not dead, whatever membership says: it will refute)
                release(h, "failed (majority alive again)");
            }
        }
    }

    /** Not counted in any allocation: released, left, or declared dead and not held for a quorum. */
    private boolean gone(MemberView m) {
        return released.contains(m.id()) || m.state() == MemberState.LEFT
                || (m.state() == MemberState.DEAD && !held.contains(m.id()));
    }

    /**
     * A failed origin's entries are reaped with it, and a host joining later would never hear its policies. The
     * live member with the lowest id re-publishes the winning copies unchanged (same origin, same version); the
     * CRDT merge makes duplicates from hosts with a different view harmless.
     */
    private void adoptPoliciesOf(String origin) {
        long lowest = exchange.selfId();
        for (MemberView m : exchange.members()) {
            if (m.state().isActive() && !released.contains(m.id()) && m.id() < lowest) {
                lowest = m.id();
            }
        }
        if (lowest != exchange.selfId()) {
            return;
        }
        for (VersionedPolicy p : policies.entries()) {
            if (p.originId().equals(origin)) {
                exchange.publish(ShareCodec.policyKey(p.key()), ShareCodec.encodePolicy(p));
                counters.increment(Counter.POLICY_ADOPTED);
            }
        }
    }

    private void note(String s) {
        if (recentEvents.size() >= 64) {
            recentEvents.remove(0);
        }
        recentEvents.add(s);
    }

    // ------------------------------------------------------------ the round

    /** Runs the round of every pipe whose interval changed since the last call. Cheap when nothing is due. */
    public void tick(long nowNanos) {
        this.nowNanos = nowNanos;
        tickMembers = null;
        tickLiveness = null;
        reviewHeld();
        if (cpu != null) {
            long interval = Math.floorDiv(nowNanos, PipeConfig.DEFAULT_TICK_NANOS);
            if (interval > lastCpuInterval) {
                lastCpuInterval = interval;
                cpuRound(nowNanos);
            }
        }
        for (PipeState s : pipes.values()) {
            long interval = s.pipe.config().intervalAt(nowNanos);
            if (interval > s.lastInterval) {
                s.lastInterval = interval;
                round(s, interval, nowNanos);
            }
        }
    }

    private void round(PipeState s, long interval, long nowNanos) {
        counters.increment(Counter.ROUNDS);
        PipeConfig cfg = s.pipe.config();
        PipeTraffic.Sample sample = traffic.sample(s.pipe, nowNanos);
        boolean bucket = traffic.shapedByTokenBucket();
        if (s.begun && !bucket) {
            s.ledger.sent(Math.max(0, sample.sentBytes()));
        }

        // 1. this host's demand, booked part capped by the (rescaled) bookings
        if (s.bookingsOf != catalog) {
            // bookings change only with the policy set: resolve them (and report shortfalls) once per change
            List<PipeBooking> bookings = catalog.pipes().getOrDefault(cfg.pipeId(), List.of());
            s.bookings = PipeBookings.resolve(cfg, bookings);
            s.bookingsOf = catalog;
            Map<String, Long> perTick = new HashMap<>();
            for (Granted gr : s.bookings.grants()) {
                perTick.put(gr.id(), (long) Math.floor(gr.granted() * cfg.tickSeconds()));
            }
            s.bookingPerTick = 0;
            for (int i = 0; i < s.appIds.length; i++) {
                s.bookedPerTick[i] = perTick.getOrDefault(s.appIds[i], 0L);
                s.bookingPerTick += s.bookedPerTick[i];
            }
            for (InsufficiencyTracker.Event ev : s.insufficiency.update(s.bookings.insufficient())) {
                if (ev instanceof InsufficiencyTracker.Short sh) {
                    counters.increment(Counter.BOOKING_SHORT);
                    note(sh.what().toString());
                } else {
                    counters.increment(Counter.BOOKING_RESTORED);
                    note("booking met again: " + ((InsufficiencyTracker.Restored) ev).id());
                }
            }
        }
        long booked = 0;
        long unbooked = 0;
        int active = 0;
        Map<String, Long> queued = sample.queuedBytes();
        for (int i = 0; i < s.appIds.length; i++) {
            String app = s.appIds[i];
            Long qb = queued.get(app);
            long q = qb == null ? 0 : Math.max(0, qb);
            long b = Math.min(q, s.bookedPerTick[i]);
            long u = q - b;
            s.booked[i] = b;
            s.unbooked[i] = u;
            booked += b;
            unbooked += u;
            if (u > 0) {
                active++;
            }
        }

        // 2. everybody's entry of the previous interval, this host's included
        List<PeerPipeState> inputs = inputs(s, interval);
        PipeAllocation a = s.allocator.allocate(nowNanos, inputs);
        s.allocation = a;
        for (Rejection r : a.rejections()) {
            counters.increment(r.action() == Rejection.Action.CLAMPED ? Counter.DEMAND_CLAMPED : Counter.DEMAND_IGNORED);
        }
        HostGrant g = a.grant(selfId).orElse(new HostGrant(selfId, true, 0, 0, 0, 0));
        HostGrant capped = capInMinority(a, g);
        if (capped != g) {
            counters.increment(Counter.MINORITY_CAPPED);
            g = capped;
        }
        long usable = bucket ? g.creditBytes() : s.ledger.begin(g.creditBytes(), g.bookedBytes());
        s.begun = true;
        s.rates = HostClassSplitter.split(cfg, g, usable, s.appIds, s.booked, s.unbooked, s.appIds.length);
        if (tc != null) {
            enforce(s);
        }

        // 3. this interval's demand, for the next round everywhere. Traffic sent against the credit packet by
        //    packet publishes what stays queued after this interval's part (seed 004 [0206]); an HTB-shaped
        //    host's numbers are already its need for the coming interval.
        if (!bucket) {
            booked = 0;
            unbooked = 0;
            active = 0;
            for (int i = 0; i < s.appIds.length; i++) {
                long left = Math.max(0, s.booked[i] + s.unbooked[i] - Math.max(0, s.rates.get(i).expectedBytes()));
                long b = Math.min(left, s.bookedPerTick[i]);
                booked += b;
                unbooked += left - b;
                if (left - b > 0) {
                    active++;
                }
            }
        }
        PipeDemandEntry mine = new PipeDemandEntry(cfg.pipeId(), interval, booked,
                unbooked + s.ledger.overdraft(), Math.max(1, active), s.bookingPerTick);
        int live = 0;
        for (PeerPipeState p : inputs) {
            if (p.liveness() != Liveness.DEAD) {
                live++; // the members the allocator sizes freshness by
            }
        }
        if (!worthPublishing(cfg, s.published, mine, interval, live)) {
            // peers keep counting the entry they have (and so does this host: it allocates from its own published
            // entries only, so every view holds the same number for it)
            counters.increment(Counter.DEMAND_SUPPRESSED);
            return;
        }
        s.published = mine;
        remember(s.peers.computeIfAbsent(exchange.selfId(), Peer::new), mine);
        exchange.publish(s.demandKey, ShareCodec.encodeDemand(mine));
        counters.increment(Counter.DEMAND_PUBLISHED);
    }

    /**
     * Whether this interval's demand is news: the last entry is due for its refresh, or booked or unbooked bytes
     * moved by more than {@link PipeConfig#republishChange()} of the larger of the old value and a fair share, or
     * backlog appeared or vanished. Suppressing the rest keeps the exchange's load (and so the entries' delay) low
     * in a large pool; the refresh keeps an unchanged entry fresh everywhere.
     */
    static boolean worthPublishing(PipeConfig cfg, PipeDemandEntry last, PipeDemandEntry mine, long interval,
                                   int members) {
        if (last == null) {
            return true;
        }
        long age = interval - last.interval();
        if (age >= cfg.refreshIntervals(members)) {
            return true;
        }
        double fair = cfg.bytesPerInterval() / Math.max(1, members);
        double x = cfg.republishChange();
        if (mine.bookingBytes() != last.bookingBytes() || mine.bookedBytes() > last.bookedBytes()
                || moved(last.bookedBytes(), mine.bookedBytes(), fair, x)
                || (last.bookedBytes() > 0) != (mine.bookedBytes() > 0)) {
            // a guarantee does not wait: any rise of booked bytes goes out at once, or the grant falls short of
            // it (few hosts book, and booked bytes stay put while their queues are backlogged); a new booking
            // goes out at once too, so that peers reserve it if they stop hearing this host
            return true;
        }
        if (age < cfg.publishGap(members)) {
            return false; // the pool's share of the exchange: unbooked news waits
        }
        return moved(last.unbookedBytes(), mine.unbookedBytes(), fair, x)
                || (last.unbookedBytes() > 0) != (mine.unbookedBytes() > 0);
    }

    private static boolean moved(double before, double after, double fair, double fraction) {
        return Math.abs(after - before) > fraction * Math.max(fair, Math.max(before, after));
    }

    /**
     * While this host hears no more than half of the members counted on the pipe, it takes at most a fair share
     * (capacity / members) or its booked grant if that is larger. The allocator reserves each silent peer
     * (1 - partitionSlack) of a fair share, so without this every group that cannot hear the others would overrun
     * by partitionSlack; with it the smaller side (and both sides of an even split, and a host that only sends
     * but no longer receives, as membership can leave it after a partition) stays within its fair share, and only
     * the majority side uses the slack: two groups overrun by at most partitionSlack / 2 of the pipe.
     */
    static HostGrant capInMinority(PipeAllocation a, HostGrant g) {
        int counted = a.grants().size();
        int heard = 0;
        for (HostGrant x : a.grants()) {
            if (!x.stale()) {
                heard++;
            }
        }
        if (g.stale() || 2 * heard > counted) {
            return g;
        }
        long allowed = Math.max((long) Math.floor(a.bytesPerInterval() / counted), g.bookedBytes());
        long over = g.creditBytes() - allowed;
        if (over <= 0) {
            return g;
        }
        long imm = Math.max(0, g.immediateBytes() - over);
        over -= g.immediateBytes() - imm;
        long unbooked = Math.max(0, g.unbookedBytes() - over);
        return new HostGrant(g.hostId(), false, g.bookedBytes(), unbooked, imm, g.entitlementBytes());
    }

    private void cpuRound(long nowNanos) {
        HostCpuEntry mine = cpu.sample(nowNanos);
        if (!mine.equals(cpuPublished)) {
            exchange.publish(ShareValueType.HOST_CPU_KEY, ShareCodec.encodeHostCpu(mine));
            cpuPublished = mine;
        }
        cpuEntries.put(exchange.selfId(), mine);
        TreeMap<Long, Boolean> alive = new TreeMap<>();
        for (MemberView m : members()) {
            alive.put(m.id(), !gone(m));
            if (m.id() == exchange.selfId()) {
                continue;
            }
            Optional<Message.Entry> e = exchange.entry(m.id(), ShareValueType.HOST_CPU_KEY);
            long[] seen = cpuVersions.computeIfAbsent(m.id(), k -> new long[] {Long.MIN_VALUE});
            if (e.isPresent() && e.get().version() != seen[0]) {
                seen[0] = e.get().version();
                try {
                    HostCpuEntry d = ShareCodec.decodeHostCpu(e.get().value());
                    if (!(d.cores() > 0) || !(d.cores() <= MAX_CORES)) {
                        counters.increment(Counter.CPU_IGNORED); // NaN, negative, zero or absurd: keep the last one
                    } else {
                        cpuEntries.put(m.id(), d);
                    }
                } catch (MalformedShareValueException ex) {
                    unknownOrMalformed(e.get().value());
                }
            }
        }
        alive.put(exchange.selfId(), true);
        for (long r : released) {
            alive.put(r, false); // reaped, but its cores still define what the policies' percentages mean
        }
        List<HostCpu> hosts = new ArrayList<>();
        List<Instances> instances = new ArrayList<>();
        for (Map.Entry<Long, Boolean> w : alive.entrySet()) {
            HostCpuEntry d = cpuEntries.get(w.getKey());
            if (d == null) {
                continue; // never heard: no capacity to count
            }
            String host = hostId(w.getKey());
            hosts.add(new HostCpu(host, d.cores(), w.getValue()));
            for (Map.Entry<String, Integer> i : d.instances().entrySet()) {
                if (i.getValue() < 0) {
                    counters.increment(Counter.CPU_IGNORED);
                    continue;
                }
                instances.add(new Instances(i.getKey(), host, i.getValue()));
            }
        }
        cpuAllocation = PoolCpuAllocator.allocate(catalog.cpu(), hosts, instances);
        counters.increment(Counter.CPU_ROUNDS);
        for (InsufficiencyTracker.Event ev : cpuInsufficiency.update(cpuAllocation.insufficient())) {
            if (ev instanceof InsufficiencyTracker.Short sh) {
                counters.increment(Counter.BOOKING_SHORT);
                note(sh.what().toString());
            } else {
                counters.increment(Counter.BOOKING_RESTORED);
                note("cpu policy met again: " + ((InsufficiencyTracker.Restored) ev).id());
            }
        }
    }

    /**
     * Every member's liveness as this tick counts it (self included), computed once per tick for all pipes. The
     * map iterates in allocator host-id order (the decimal strings' order), so the allocator finds its input
     * sorted and skips sorting it.
     */
    private Map<Long, Liveness> tickLiveness() {
        if (tickLiveness == null) {
            TreeMap<String, Long> byHostId = new TreeMap<>();
            Map<Long, Liveness> state = new HashMap<>();
            for (MemberView m : members()) {
                byHostId.put(hostIds.computeIfAbsent(m.id(), PipeShareCoordinator::hostId), m.id());
                state.put(m.id(), gone(m) ? Liveness.DEAD
                        : m.state() == MemberState.ALIVE ? Liveness.ALIVE : Liveness.SUSPECT);
            }
            byHostId.put(selfId, exchange.selfId());
            state.put(exchange.selfId(), Liveness.ALIVE);
            tickLiveness = new LinkedHashMap<>();
            for (Long id : byHostId.values()) {
                tickLiveness.put(id, state.get(id));
            }
        }
        return tickLiveness;
    }

    private List<MemberView> members() {
        if (tickMembers == null) {
            tickMembers = exchange.members();
        }
        return tickMembers;
    }

    private List<PeerPipeState> inputs(PipeState s, long interval) {
        String key = ShareCodec.demandKey(s.pipe.pipeId());
        double bookedLimit = Math.ceil(s.bookings.total() * s.pipe.config().tickSeconds());
        Map<Long, Liveness> who;
        if (s.pipe.participants().isEmpty()) {
            who = tickLiveness();
        } else {
            who = new LinkedHashMap<>();
            for (Map.Entry<Long, Liveness> m : tickLiveness().entrySet()) {
                if (s.pipe.participants().contains(m.getKey())) {
                    who.put(m.getKey(), m.getValue());
                }
            }
        }
        for (long p : s.pipe.participants()) {
            // configured but unknown to membership: reserved (never zero) unless it was declared gone
            who.putIfAbsent(p, released.contains(p) ? Liveness.DEAD : Liveness.ALIVE);
        }
        who.put(exchange.selfId(), Liveness.ALIVE);
        if (s.peers.size() > who.size()) {
            s.peers.keySet().retainAll(who.keySet()); // members left (a swap is caught at the next departure)
        }

        List<PeerPipeState> out = new ArrayList<>(who.size());
        for (Map.Entry<Long, Liveness> w : who.entrySet()) {
            long id = w.getKey();
            Peer peer = s.peers.get(id);
            if (peer == null) {
                peer = new Peer(id);
                s.peers.put(id, peer);
            }
            if (id != exchange.selfId()) {
                Optional<Message.Entry> e = exchange.entry(id, key);
                if (e.isPresent() && e.get().version() != peer.version) {
                    peer.version = e.get().version();
                    try {
                        PipeDemandEntry d = ShareCodec.decodeDemand(s.pipe.pipeId(), e.get().value());
                        remember(peer, d);
                        counters.increment(Counter.DEMAND_DECODED);
                        heardAfterRelease(id, s.pipe.config(), d);
                    } catch (MalformedShareValueException ex) {
                        unknownOrMalformed(e.get().value());
                    }
                }
            }
            PipeDemandEntry d = pick(peer, interval - decisionLag + 1);
            if (peer.used != null && d == peer.usedEntry && w.getValue() == peer.usedLiveness
                    && bookedLimit == peer.usedLimit) {
                out.add(peer.used);
                continue;
            }
            PipeDemandEntry picked = d;
            String host = peer.hostId;
            if (d != null && id != exchange.selfId()
                    && (d.bookedBytes() > bookedLimit || d.bookingBytes() > bookedLimit)) {
                // nobody can have more booked bytes (or a larger booking) than the pipe's bookings add up to: the
                // excess is a claim without a guarantee, moved to unbooked (NaN and negatives are the allocator's)
                counters.increment(Counter.DEMAND_CLAMPED);
                double b = Math.min(d.bookedBytes(), bookedLimit);
                d = new PipeDemandEntry(d.pipeId(), d.interval(), b, d.unbookedBytes() + (d.bookedBytes() - b),
                        d.activeClasses(), Math.min(d.bookingBytes(), bookedLimit));
            }
            PeerPipeState state = d == null
                    ? new PeerPipeState(host, 0, 0, 1, PeerPipeState.NEVER, w.getValue(), 0)
                    : new PeerPipeState(host, d.bookedBytes(), d.unbookedBytes(), d.activeClasses(), d.interval(),
                            w.getValue(), d.bookingBytes());
            peer.usedEntry = picked;
            peer.usedLiveness = w.getValue();
            peer.usedLimit = bookedLimit;
            peer.used = state;
            out.add(state);
        }
        return out;
    }

    private static void remember(Peer peer, PipeDemandEntry d) {
        if (peer.history.size() == HISTORY) {
            peer.history.removeLast();
        }
        peer.history.addFirst(d);
    }

    /** The newest entry from before {@code interval}; else the oldest held (a peer whose clock runs ahead). */
    private static PipeDemandEntry pick(Peer peer, long interval) {
        PipeDemandEntry oldest = null;
        for (PipeDemandEntry d : peer.history) {
            if (d.interval() < interval) {
                return d;
            }
            oldest = d;
        }
        return oldest;
    }

    // ------------------------------------------------------------ kernel

    private void enforce(PipeState s) {
        BandwidthSpec spec = spec(s.pipe, s.rates);
        if (s.applied != null && !worthApplying(s.applied, spec)) {
            counters.increment(Counter.TC_UNCHANGED);
            return;
        }
        try {
            tc.apply(spec);
            s.applied = spec;
            counters.increment(Counter.TC_APPLIED);
        } catch (RuntimeException e) {
            // the tree in force stays; a config error repeats every round and shows in the counter
            counters.increment(Counter.TC_ERRORS);
            note("tc " + s.pipe.device() + ": " + e.getMessage());
        }
    }

    /**
     * The egress tree for this host's grant: root = share = the host's credit, each app rate = its booked part,
     * ceil = the credit; the default class keeps its configured rate. HTB cannot go below
     * {@link SpecValidator#MIN_RATE} per class, so the share is floored at the sum of the class rates (the default
     * class's rate plus a few kbit/s over the credit of a host that has none).
     */
    static BandwidthSpec spec(SharedPipe pipe, List<ClassRate> rates) {
        long min = SpecValidator.MIN_RATE;
        long ceilBits = 0;
        long appRates = 0;
        long[] r = new long[rates.size()];
        for (int i = 0; i < rates.size(); i++) {
            ClassRate c = rates.get(i);
            ceilBits = Math.max(ceilBits, c.ceilBytesPerSec() * 8);
            r[i] = Math.max(min, c.rateBytesPerSec() * 8);
            appRates += r[i];
        }
        long defaultRate = pipe.defaultRateBits();
        long floor = defaultRate + (long) r.length * min;
        long share = Math.min(pipe.linkRateBits(), Math.max(ceilBits, floor));
        if (share < floor) {
            // only when the link itself is slower than the minimums
            defaultRate = min;
        }
        long room = share - defaultRate;
        if (appRates > room) {
            // the default class's guarantee comes out of the credit too: scale the bookings into what is left, so
            // the rates never add up to more than the host's share
            double f = (double) room / appRates;
            for (int i = 0; i < r.length; i++) {
                r[i] = Math.max(min, (long) Math.floor(r[i] * f));
            }
        }
        List<BandwidthSpec.AppClass> classes = new ArrayList<>(rates.size());
        for (int i = 0; i < rates.size(); i++) {
            ClassRate c = rates.get(i);
            classes.add(new BandwidthSpec.AppClass(c.appId(), pipe.appMinors().get(c.appId()), Math.min(r[i], share),
                    share));
        }
        BandwidthSpec.TreeSpec tree = new BandwidthSpec.TreeSpec(share,
                new BandwidthSpec.DefaultClass(pipe.defaultMinor(), Math.min(defaultRate, share), share), classes,
                pipe.classifiers());
        return BandwidthSpec.egressOnly(pipe.device(), pipe.linkRateBits(), tree);
    }

    /** Lower at once (never exceed the credit), raise only by more than the hysteresis (no netlink churn). */
    static boolean worthApplying(BandwidthSpec before, BandwidthSpec after) {
        BandwidthSpec.TreeSpec b = before.egress();
        BandwidthSpec.TreeSpec a = after.egress();
        if (b.apps().size() != a.apps().size() || !b.classifiers().equals(a.classifiers())) {
            return true;
        }
        if (changed(b.share(), a.share())) {
            return true;
        }
        for (int i = 0; i < a.apps().size(); i++) {
            BandwidthSpec.AppClass x = b.apps().get(i);
            BandwidthSpec.AppClass y = a.apps().get(i);
            if (!x.app().equals(y.app()) || x.minor() != y.minor() || changed(x.rate(), y.rate())
                    || changed(x.ceil(), y.ceil())) {
                return true;
            }
        }
        return changed(b.defaultClass().ceil(), a.defaultClass().ceil());
    }

    private static boolean changed(long before, long after) {
        return after < before || after > before * (1 + RAISE_HYSTERESIS);
    }
}
