package org.poolwarden.exchange.membership;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.wire.Message;

/**
 * SWIM failure detection with Lifeguard (after hashicorp/memberlist's state.go): one member probed per protocol
 * period (in the order {@link ProbeOrder} names), indirect probes through k others when the direct ack is late, suspicion with incarnation numbers and
 * refutation, a dynamic suspicion timeout, local health (awareness), the buddy system (a suspect learns it is
 * suspected from the probe itself), graceful leave and reaping. Single-threaded; time comes in as arguments.
 */
public final class Membership {

    /** What membership needs from the node around it. */
    public interface Outbox {
        /** Sends these records to one peer now (the node adds piggybacked gossip when there is room). */
        void sendDirect(InetSocketAddress to, List<Message> messages);

        /** Queues news about {@code member} for gossip, replacing older news about it. */
        void broadcast(long member, Message message);

        void event(MemberEvent event);

        /** A reaped member: drop everything kept about it. */
        void forget(long member);
    }

    private static final class Probe {
        long target;
        InetSocketAddress address;
        int seq;
        long indirectAt;
        long deadline;
        boolean indirectSent;
        int expectedNacks;
        int nacks;
    }

    private static final class Relay {
        InetSocketAddress requester;
        int requesterSeq;
        long nackAt;
    }

    private final ExchangeConfig cfg;
    private final long self;
    private final InetSocketAddress selfAddress;
    private final Random rnd;
    private final LongSupplier wallMillis;
    private final ExchangeCounters counters;
    private final Outbox out;
    private final Awareness awareness;
    private final Map<Long, Member> members = new LinkedHashMap<>();
    private final List<Long> probeOrder = new ArrayList<>();
    private int probeIndex;
    private long lastRound = Long.MIN_VALUE;
    private Probe probe;
    private final Map<Integer, Relay> relays = new HashMap<>();
    private int nextSeq;
    private long nextProbeAt;
    private List<InetSocketAddress> seeds = List.of();
    private long nextJoinAt = Long.MAX_VALUE;
    private long lastTickNanos = Long.MIN_VALUE;
    private long nextReconnectAt = Long.MIN_VALUE;
    /** Reaped DEAD members still worth a reconnect packet now and then: id → where and until when. */
    private final Map<Long, Reaped> reaped = new HashMap<>();
    private boolean leaving;
    private final long probeIntervalNanos;
    private final long probeTimeoutNanos;

    /**
     * @param wallMillis the wall clock: with {@link ProbeOrder#ROTATING} it numbers the probe rounds, which hosts
     *                   agree on only through their (NTP-synchronised) wall clocks
     */
    public Membership(ExchangeConfig cfg, long self, InetSocketAddress selfAddress, int incarnation, long nowNanos,
                      Random rnd, LongSupplier wallMillis, ExchangeCounters counters, Outbox out) {
        this.cfg = cfg;
        this.self = self;
        this.selfAddress = selfAddress;
        this.rnd = rnd;
        this.wallMillis = wallMillis;
        this.counters = counters;
        this.out = out;
        this.awareness = new Awareness(cfg.awarenessMax());
        this.probeIntervalNanos = cfg.probeInterval().toNanos();
        this.probeTimeoutNanos = cfg.probeTimeout().toNanos();
        members.put(self, new Member(self, selfAddress, MemberState.ALIVE, incarnation, nowNanos));
        // start probing at a random phase so hosts started together do not probe in lockstep
        this.nextProbeAt = nowNanos + (long) (rnd.nextDouble() * probeIntervalNanos);
        this.nextSeq = rnd.nextInt();
    }

    // ---------------------------------------------------------------- queries

    public long self() {
        return self;
    }

    public int incarnation() {
        return members.get(self).incarnation;
    }

    public int awarenessScore() {
        return awareness.score();
    }

    /** This host's local health, for tests of what a degraded host does. */
    Awareness awareness() {
        return awareness;
    }

    public boolean isLeaving() {
        return leaving;
    }

    public List<MemberView> members() {
        List<MemberView> v = new ArrayList<>(members.size());
        for (Member m : members.values()) {
            v.add(m.view());
        }
        return v;
    }

    public MemberView member(long id) {
        Member m = members.get(id);
        return m == null ? null : m.view();
    }

    /** Active members including this one: the n of every log-scaled limit. */
    public int activeCount() {
        int n = 0;
        for (Member m : members.values()) {
            if (m.state.isActive()) {
                n++;
            }
        }
        return n;
    }

    /** Up to {@code k} distinct random active peers (not this host, not {@code exclude}). */
    public List<Member> randomPeers(int k, long exclude) {
        List<Member> candidates = new ArrayList<>();
        for (Member m : members.values()) {
            if (m.id != self && m.id != exclude && m.state.isActive()) {
                candidates.add(m);
            }
        }
        if (candidates.size() <= k) {
            return candidates;
        }
        // partial Fisher-Yates: k swaps
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(candidates.size() - i);
            Collections.swap(candidates, i, j);
        }
        return candidates.subList(0, k);
    }

    /**
     * Up to {@code k} random gossip targets: the active peers and, for {@link ExchangeConfig#gossipToTheDead()} after
     * they were declared, DEAD ones (not LEFT), so an accused member that was only cut off hears it and refutes.
     */
    public List<InetSocketAddress> gossipTargets(int k) {
        long window = cfg.gossipToTheDead().toNanos();
        List<Member> candidates = new ArrayList<>();
        for (Member m : members.values()) {
            if (m.id != self && (m.state.isActive()
                    || (m.state == MemberState.DEAD && window > 0 && lastTickNanos - m.sinceNanos < window))) {
                candidates.add(m);
            }
        }
        for (int i = 0; i < Math.min(k, candidates.size()) && candidates.size() > k; i++) {
            Collections.swap(candidates, i, i + rnd.nextInt(candidates.size() - i));
        }
        List<InetSocketAddress> a = new ArrayList<>();
        for (Member m : candidates.subList(0, Math.min(k, candidates.size()))) {
            a.add(m.address);
        }
        return a;
    }

    /** As {@link #randomPeers}, as read-only views. */
    public List<MemberView> randomPeerViews(int k, long exclude) {
        List<MemberView> v = new ArrayList<>();
        for (Member m : randomPeers(k, exclude)) {
            v.add(m.view());
        }
        return v;
    }

    public List<InetSocketAddress> randomPeerAddresses(int k) {
        List<InetSocketAddress> a = new ArrayList<>();
        for (Member m : randomPeers(k, self)) {
            a.add(m.address);
        }
        return a;
    }

    /** Each member's state as records: what a joiner or an anti-entropy partner needs. */
    public List<Message> stateRecords(int from, int max) {
        List<Member> all = new ArrayList<>(members.values());
        List<Message> recs = new ArrayList<>();
        for (int i = 0; i < Math.min(max, all.size()); i++) {
            Member m = all.get(Math.floorMod(from + i, all.size()));
            switch (m.state) {
                case ALIVE -> recs.add(new Message.Alive(m.id, m.incarnation, m.address));
                case SUSPECT -> {
                    recs.add(new Message.Alive(m.id, m.incarnation, m.address));
                    recs.add(new Message.Suspect(m.id, m.incarnation, self));
                }
                // memberlist's push-pull merge: a dead state from a peer only raises a suspicion here, so when two
                // sides meet after a partition our view of a third host it can still reach costs no false death;
                // the suspect is told by its prober (buddy system) and refutes, a really dead one times out
                case DEAD -> recs.add(new Message.Suspect(m.id, m.incarnation, self));
                case LEFT -> recs.add(new Message.Dead(m.id, m.incarnation, m.id));
            }
        }
        return recs;
    }

    public int size() {
        return members.size();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Starts (or keeps) trying these seeds until some other member is known. */
    public void join(List<InetSocketAddress> seedAddresses, long nowNanos) {
        this.seeds = List.copyOf(seedAddresses);
        this.nextJoinAt = nowNanos;
    }

    /**
     * Adds members known from elsewhere (a persisted list, a simulator's bootstrap) without events or gossip.
     */
    public void seed(long id, InetSocketAddress address, long nowNanos) {
        if (id != self && !members.containsKey(id)) {
            members.put(id, new Member(id, address, MemberState.ALIVE, 0, nowNanos));
            addToProbeOrder(id);
        }
    }

    /** Graceful leave: tell everyone, stop probing and refuting. */
    public void leave(long nowNanos) {
        if (leaving) {
            return;
        }
        leaving = true;
        Member me = members.get(self);
        me.state = MemberState.LEFT;
        me.sinceNanos = nowNanos;
        Message.Dead bye = new Message.Dead(self, me.incarnation, self);
        out.broadcast(self, bye);
        // tell a few peers directly too, so the news does not depend on the next gossip tick alone
        for (Member m : randomPeers(cfg.gossipFanout(), self)) {
            out.sendDirect(m.address, List.of(bye));
        }
    }

    // ---------------------------------------------------------------- time

    /** Runs due timers; returns the next time something is due. */
    public long tick(long now) {
        if (lastTickNanos != Long.MIN_VALUE && cfg.pauseThreshold().toNanos() > 0
                && now - lastTickNanos > cfg.pauseThreshold().toNanos()) {
            onStall(now, now - lastTickNanos);
        }
        lastTickNanos = now;
        if (leaving) {
            return Long.MAX_VALUE;
        }
        tickJoin(now);
        tickRelays(now);
        tickProbe(now);
        tickSuspicions(now);
        tickReap(now);
        tickReconnect(now);
        return nextDeadline();
    }

    /**
     * This host was stalled (GC, SIGSTOP, CPU starvation): its in-flight probe timed out through no fault of the
     * target, and while stalled it could hear no confirmation or refutation. Void the probe, push suspicion
     * deadlines back by the stall, and count it against our own health.
     */
    private void onStall(long now, long gap) {
        counters.increment(Counter.PAUSES_DETECTED);
        probe = null;
        nextProbeAt = now;
        for (Member m : members.values()) {
            if (m.suspicion != null) {
                m.suspicion.extend(gap);
            }
        }
        awareness.apply(1);
    }

    private long nextDeadline() {
        long next = nextProbeAt;
        if (probe != null) {
            next = Math.min(next, probe.indirectSent ? probe.deadline : probe.indirectAt);
        }
        for (Relay r : relays.values()) {
            next = Math.min(next, r.nackAt);
        }
        for (Member m : members.values()) {
            if (m.suspicion != null) {
                next = Math.min(next, m.suspicion.deadlineNanos());
            }
        }
        if (nextReconnectAt != Long.MIN_VALUE) {
            next = Math.min(next, nextReconnectAt);
        }
        if (otherActiveMembers() == 0 && !seeds.isEmpty()) {
            next = Math.min(next, nextJoinAt);
        }
        return next;
    }

    private int otherActiveMembers() {
        return activeCount() - 1;
    }

    private void tickJoin(long now) {
        if (seeds.isEmpty() || otherActiveMembers() > 0 || now < nextJoinAt) {
            return;
        }
        Member me = members.get(self);
        for (InetSocketAddress s : seeds) {
            if (!s.equals(selfAddress)) {
                counters.increment(Counter.JOINS_SENT);
                out.sendDirect(s, List.of(new Message.Join(), new Message.Alive(self, me.incarnation, me.address)));
            }
        }
        nextJoinAt = now + cfg.joinRetry().toNanos();
    }

    private void tickRelays(long now) {
        for (Iterator<Relay> it = relays.values().iterator(); it.hasNext(); ) {
            Relay r = it.next();
            if (now >= r.nackAt) {
                it.remove();
                counters.increment(Counter.NACKS_SENT);
                out.sendDirect(r.requester, List.of(new Message.Nack(r.requesterSeq)));
            }
        }
    }

    private void tickProbe(long now) {
        if (probe != null) {
            if (!probe.indirectSent && now >= probe.indirectAt) {
                probe.indirectSent = true;
                Member target = members.get(probe.target);
                if (target != null && target.state.isActive()) {
                    // a second direct ping next to the indirect ones (memberlist sends a TCP ping here): one lost
                    // packet on the direct path alone no longer leads to a suspicion
                    out.sendDirect(probe.address, List.of(new Message.Ping(probe.seq, probe.target)));
                    for (Member m : randomPeers(cfg.indirectChecks(), probe.target)) {
                        counters.increment(Counter.INDIRECT_PROBES_SENT);
                        out.sendDirect(m.address, List.of(new Message.PingReq(probe.seq, probe.target, probe.address)));
                        probe.expectedNacks++;
                    }
                }
            }
            if (now >= probe.deadline) {
                probeFailed(now);
            }
        }
        if (probe == null && now >= nextProbeAt) {
            startProbe(now);
        }
    }

    private void probeFailed(long now) {
        Probe p = probe;
        probe = null;
        counters.increment(Counter.PROBES_FAILED);
        // Lifeguard: missing nacks mean our own links or scheduling are the problem, not only the target
        int delta = p.expectedNacks > 0 ? p.expectedNacks - p.nacks : 1;
        awareness.apply(delta);
        Member m = members.get(p.target);
        if (m != null && m.state.isActive()) {
            suspect(m, m.incarnation, self, now);
        }
    }

    private void startProbe(long now) {
        // keep this host's phase: late ticks must not push every later probe back (with ROTATING a drifting phase
        // crosses a round boundary now and then, and that round's target goes unprobed)
        long late = now - nextProbeAt;
        nextProbeAt = (late >= 0 && late < probeIntervalNanos ? nextProbeAt : now) + awareness.scale(probeIntervalNanos);
        Member target = nextProbeTarget();
        if (target == null) {
            return;
        }
        Probe p = new Probe();
        p.target = target.id;
        p.address = target.address;
        p.seq = nextSeq++;
        p.indirectAt = now + awareness.scale(probeTimeoutNanos);
        p.deadline = nextProbeAt;
        probe = p;
        counters.increment(Counter.PROBES_SENT);
        List<Message> msgs = new ArrayList<>(2);
        msgs.add(new Message.Ping(p.seq, target.id));
        if (target.state == MemberState.SUSPECT) {
            // buddy system: the suspect hears it is suspected from its prober and refutes at once
            msgs.add(new Message.Suspect(target.id, target.incarnation, self));
        }
        out.sendDirect(target.address, msgs);
    }

    private Member nextProbeTarget() {
        return cfg.probeOrder() == ProbeOrder.ROTATING ? rotatingTarget() : shuffledTarget();
    }

    /** {@link ProbeOrder#ROTATING}: the member {@code 1 + round mod (n - 1)} places after this one, by id. */
    private Member rotatingTarget() {
        long[] ring = new long[members.size()];
        int n = 0;
        for (Member m : members.values()) {
            if (m.state.isActive() || m.id == self) {
                ring[n++] = m.id;
            }
        }
        if (n < 2) {
            return null;
        }
        Arrays.sort(ring, 0, n);
        int me = Arrays.binarySearch(ring, 0, n, self);
        long intervalMillis = Math.max(1, cfg.probeInterval().toMillis());
        long round = Math.floorDiv(wallMillis.getAsLong(), intervalMillis);
        // a probe started early (after a stall) or twice in one round takes the next round's target rather than
        // repeating one; a clock stepped back far is simply followed
        if (round <= lastRound && lastRound - round < n) {
            round = lastRound + 1;
        } else if (awareness.score() > 0 && lastRound != Long.MIN_VALUE && round > lastRound) {
            // Our own health stretches the period to score + 1 rounds. Following the wall clock then visits only
            // every (score + 1)-th round's target, and when that shares a factor with n - 1 the same members are
            // skipped every time (with 7 members and a stretch of 2, half of them were never probed by this host).
            // While stretched, take the targets in turn; back at full health the wall clock is followed again.
            round = lastRound + 1;
        }
        lastRound = round;
        int offset = 1 + (int) Math.floorMod(round, (long) (n - 1));
        return members.get(ring[(me + offset) % n]);
    }

    private Member shuffledTarget() {
        for (int attempts = 0; attempts <= probeOrder.size() + 1; attempts++) {
            if (probeIndex >= probeOrder.size()) {
                rebuildProbeOrder();
                if (probeOrder.isEmpty()) {
                    return null;
                }
            }
            Member m = members.get(probeOrder.get(probeIndex++));
            if (m != null && m.id != self && m.state.isActive()) {
                return m;
            }
        }
        return null;
    }

    private void rebuildProbeOrder() {
        probeOrder.clear();
        probeIndex = 0;
        for (Member m : members.values()) {
            if (m.id != self && m.state.isActive()) {
                probeOrder.add(m.id);
            }
        }
        Collections.shuffle(probeOrder, rnd);
    }

    private void addToProbeOrder(long id) {
        // memberlist: a new member goes to a random place in the current round, so it is probed within one round
        int at = probeIndex + (probeOrder.size() - probeIndex == 0 ? 0 : rnd.nextInt(probeOrder.size() - probeIndex + 1));
        probeOrder.add(Math.min(at, probeOrder.size()), id);
    }

    private void tickSuspicions(long now) {
        for (Member m : members.values()) {
            if (m.suspicion != null && m.state == MemberState.SUSPECT && now >= m.suspicion.deadlineNanos()) {
                declareDead(m, m.incarnation, self, now);
            }
        }
    }

    private void tickReap(long now) {
        long after = cfg.reapAfter().toNanos();
        for (Iterator<Member> it = members.values().iterator(); it.hasNext(); ) {
            Member m = it.next();
            if (m.id != self && !m.state.isActive() && now - m.sinceNanos >= after) {
                it.remove();
                long keep = cfg.reconnectFor().toNanos();
                if (m.state == MemberState.DEAD && keep > 0) {
                    reaped.put(m.id, new Reaped(m.id, m.address, m.incarnation, now + keep));
                }
                counters.increment(Counter.MEMBERS_REAPED);
                out.forget(m.id);
            }
        }
    }

    /**
     * Serf's reconnect: now and then tell one random DEAD member (never a LEFT one) that it is held dead, with our own
     * Alive. If it was only cut off it refutes, and since it holds us dead too its answer (a Dead notice, see
     * {@link #packetFrom}) makes us refute: after a partition of any length below the reap time the sides find each
     * other again. A member that is really gone never answers; only it could refute.
     */
    private void tickReconnect(long now) {
        long interval = cfg.reconnectInterval().toNanos();
        if (interval <= 0 || (nextReconnectAt != Long.MIN_VALUE && now < nextReconnectAt)) {
            return;
        }
        List<Reaped> dead = new ArrayList<>();
        for (Member m : members.values()) {
            if (m.state == MemberState.DEAD && m.id != self) {
                dead.add(new Reaped(m.id, m.address, m.incarnation, 0));
            }
        }
        reaped.values().removeIf(r -> now >= r.untilNanos());
        dead.addAll(reaped.values());
        if (dead.isEmpty()) {
            nextReconnectAt = Long.MIN_VALUE; // nothing to wait for: the timer starts again at the next death
            return;
        }
        if (nextReconnectAt == Long.MIN_VALUE) {
            // first death since the timer was idle: start at a random phase so hosts do not send in lockstep
            nextReconnectAt = now + (long) (rnd.nextDouble() * interval);
            return;
        }
        nextReconnectAt = now + interval;
        Reaped m = dead.get(rnd.nextInt(dead.size()));
        Member me = members.get(self);
        counters.increment(Counter.RECONNECTS_SENT);
        out.sendDirect(m.address(), List.of(new Message.Dead(m.id(), m.incarnation(), self),
                new Message.Alive(self, me.incarnation, me.address)));
    }

    /**
     * Called once per accepted packet, after its records were handled: a sender we hold DEAD (not LEFT) is talking,
     * so it was cut off, not gone. It never heard the news about itself; tell it directly (at most once per
     * {@link ExchangeConfig#deadNoticeInterval()}) so it refutes with a higher incarnation.
     */
    public void packetFrom(long sender, InetSocketAddress from, long now) {
        Member m = members.get(sender);
        long interval = cfg.deadNoticeInterval().toNanos();
        if (m == null || m.state != MemberState.DEAD || leaving || interval <= 0
                || (m.deadNoticeAt != Long.MIN_VALUE && now - m.deadNoticeAt < interval)) {
            return;
        }
        m.deadNoticeAt = now;
        counters.increment(Counter.DEAD_NOTICES_SENT);
        out.sendDirect(from, List.of(new Message.Dead(m.id, m.incarnation, self)));
    }

    // ---------------------------------------------------------------- messages

    /** Handles a membership record; returns false if it is not one. */
    public boolean handle(Message msg, InetSocketAddress from, long sender, long now) {
        if (msg instanceof Message.Ping p) {
            if (p.target() == self && !leaving) {
                out.sendDirect(from, List.of(new Message.Ack(p.seq())));
            }
        } else if (msg instanceof Message.Ack a) {
            onAck(a.seq(), now);
        } else if (msg instanceof Message.Nack n) {
            if (probe != null && probe.seq == n.seq()) {
                probe.nacks++;
                counters.increment(Counter.NACKS_RECEIVED);
            }
        } else if (msg instanceof Message.PingReq r) {
            if (!leaving) {
                counters.increment(Counter.INDIRECT_PROBES_SERVED);
                int seq = nextSeq++;
                Relay relay = new Relay();
                relay.requester = from;
                relay.requesterSeq = r.seq();
                // The nack has to reach the requester before its probe's deadline, which comes one probe timeout
                // after it sent this request (more when its own health stretches it): a nack that arrives late is
                // counted as missing, and the requester blames its own links for the target's silence (Lifeguard),
                // stretching its probe period after every real death. 80% of the unstretched timeout, as memberlist's
                // nack ratio, leaves the rest for the trip back.
                relay.nackAt = now + probeTimeoutNanos * 8 / 10;
                relays.put(seq, relay);
                out.sendDirect(r.targetAddress(), List.of(new Message.Ping(seq, r.target())));
            }
        } else if (msg instanceof Message.Alive a) {
            onAlive(a, now);
        } else if (msg instanceof Message.Suspect s) {
            onSuspect(s, now);
            staleAccusation(s.node(), s.incarnation(), from);
        } else if (msg instanceof Message.Dead d) {
            onDead(d, from, now); // answers any Dead about us straight back, stale or not
        } else if (msg instanceof Message.Join) {
            counters.increment(Counter.JOINS_SERVED);
            out.sendDirect(from, stateRecords(0, members.size()));
        } else {
            return false;
        }
        return true;
    }

    private void onAck(int seq, long now) {
        if (probe != null && probe.seq == seq) {
            counters.increment(Counter.PROBE_ACKS);
            probe = null;
            awareness.apply(-1);
            return;
        }
        Relay r = relays.remove(seq);
        if (r != null) {
            out.sendDirect(r.requester, List.of(new Message.Ack(r.requesterSeq)));
        }
    }

    private void refute(int accusedIncarnation) {
        Member me = members.get(self);
        me.incarnation = Math.max(me.incarnation, accusedIncarnation) + 1;
        counters.increment(Counter.REFUTATIONS);
        awareness.apply(1); // being suspected hints that we are the slow one
        out.broadcast(self, new Message.Alive(self, me.incarnation, me.address));
    }

    private void onAlive(Message.Alive a, long now) {
        if (a.node() == self) {
            if (!leaving && a.incarnation() > incarnation()) {
                refute(a.incarnation()); // someone holds a newer claim about us (we restarted): outbid it
            }
            return;
        }
        Member m = members.get(a.node());
        if (m == null) {
            reaped.remove(a.node()); // a reaped member that answered a reconnect: known again
            m = new Member(a.node(), a.address(), MemberState.ALIVE, a.incarnation(), now);
            members.put(a.node(), m);
            addToProbeOrder(a.node());
            out.broadcast(a.node(), a);
            out.event(new MemberEvent(MemberEvent.Type.JOINED, m.id, m.address, m.incarnation, now));
            return;
        }
        if (a.incarnation() <= m.incarnation) {
            return;
        }
        MemberState was = m.state;
        m.incarnation = a.incarnation();
        m.address = a.address();
        m.suspicion = null;
        if (was != MemberState.ALIVE) {
            m.state = MemberState.ALIVE;
            m.sinceNanos = now;
            if (!was.isActive()) {
                addToProbeOrder(m.id);
            }
        }
        out.broadcast(a.node(), a);
        if (was == MemberState.SUSPECT) {
            out.event(new MemberEvent(MemberEvent.Type.ALIVE, m.id, m.address, m.incarnation, now));
        } else if (!was.isActive()) {
            out.event(new MemberEvent(MemberEvent.Type.JOINED, m.id, m.address, m.incarnation, now));
        }
    }

    /**
     * A peer still passes on an accusation of this host that it has already refuted: the refutation's gossip missed
     * it, so answer it directly (once per stale record; the records themselves are bounded by transmit limits).
     */
    private void staleAccusation(long node, int accusedIncarnation, InetSocketAddress from) {
        if (node == self && !leaving && accusedIncarnation < incarnation()) {
            Member me = members.get(self);
            out.sendDirect(from, List.of(new Message.Alive(self, me.incarnation, me.address)));
        }
    }

    private void onSuspect(Message.Suspect s, long now) {
        if (s.node() == self) {
            if (!leaving && s.incarnation() >= incarnation()) {
                refute(s.incarnation());
            }
            return;
        }
        Member m = members.get(s.node());
        if (m == null || s.incarnation() < m.incarnation || !m.state.isActive()) {
            return;
        }
        suspect(m, s.incarnation(), s.from(), now);
    }

    private void suspect(Member m, int incarnation, long from, long now) {
        if (m.state == MemberState.SUSPECT && m.suspicion != null && incarnation == m.incarnation) {
            if (m.suspicion.confirm(from)) {
                counters.increment(Counter.SUSPICION_CONFIRMATIONS);
                out.broadcast(m.id, new Message.Suspect(m.id, m.incarnation, from));
            }
            return;
        }
        int n = activeCount();
        long min = Suspicion.minTimeoutNanos(cfg.suspicionMult(), n, probeIntervalNanos, cfg.suspicionFloor().toNanos());
        long max = min * cfg.suspicionMaxMult();
        m.incarnation = incarnation;
        m.state = MemberState.SUSPECT;
        m.sinceNanos = now;
        m.suspicion = new Suspicion(from, now, min, max, Suspicion.expectedConfirmations(cfg.suspicionMult(), n));
        counters.increment(Counter.SUSPICIONS_RAISED);
        out.broadcast(m.id, new Message.Suspect(m.id, incarnation, from));
        out.event(new MemberEvent(MemberEvent.Type.SUSPECT, m.id, m.address, incarnation, now));
    }

    private void onDead(Message.Dead d, InetSocketAddress from, long now) {
        if (d.node() == self) {
            if (!leaving) {
                if (d.incarnation() >= incarnation()) {
                    refute(d.incarnation());
                }
                // the one who told us holds us dead (or relays it): answer it directly, it may not be a gossip
                // target of anyone who hears our refutation
                Member me = members.get(self);
                out.sendDirect(from, List.of(new Message.Alive(self, me.incarnation, me.address)));
            }
            return;
        }
        Member m = members.get(d.node());
        if (m == null || d.incarnation() < m.incarnation || !m.state.isActive()) {
            return;
        }
        declareDead(m, d.incarnation(), d.from(), now);
    }

    private void declareDead(Member m, int incarnation, long from, long now) {
        boolean left = from == m.id;
        m.incarnation = incarnation;
        m.state = left ? MemberState.LEFT : MemberState.DEAD;
        m.sinceNanos = now;
        m.suspicion = null;
        if (probe != null && probe.target == m.id) {
            probe = null;
        }
        if (!left) {
            counters.increment(Counter.MEMBERS_DECLARED_FAILED);
        }
        out.broadcast(m.id, new Message.Dead(m.id, incarnation, from));
        out.event(new MemberEvent(left ? MemberEvent.Type.LEFT : MemberEvent.Type.FAILED, m.id, m.address, incarnation, now));
    }

    /** What is kept of a reaped DEAD member for reconnecting: id, address, last incarnation, and until when. */
    private record Reaped(long id, InetSocketAddress address, int incarnation, long untilNanos) {
    }
}
