package org.poolwarden.exchange;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.LongSupplier;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.dissemination.BroadcastQueue;
import org.poolwarden.exchange.dissemination.EntryStore;
import org.poolwarden.exchange.dissemination.EntryTree;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.membership.MemberView;
import org.poolwarden.exchange.membership.Membership;
import org.poolwarden.exchange.transport.Transport;
import org.poolwarden.exchange.wire.DecodeResult;
import org.poolwarden.exchange.wire.KeyRing;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.MessageCodec;
import org.poolwarden.exchange.wire.Packet;
import org.poolwarden.exchange.wire.PacketCodec;
import org.poolwarden.exchange.wire.ReplayWindow;

/**
 * One agent's end of the exchange: membership, dissemination of entries and anti-entropy over one transport.
 * Single-threaded and clock-free: the owner calls {@link #tick} (at the returned deadline at the latest) and
 * {@link #receive} from one thread — a Netty event loop, or the simulator.
 */
public final class ExchangeNode {

    /** Identity and keys of a node. {@code poolId} separates pools that share a network. */
    public record Identity(long id, InetSocketAddress address, int poolId, KeyRing keys) {
    }

    /**
     * Duplicates received cut an entry's relaying short only after this many full fanout rounds. Measured at n=128
     * (ExchangeBenchmark): after 1 round, bytes at 1 update/host/s fell from 97 to 67 KB/s but the 100% tail went
     * from 0.2 to 2.9 s (a host missed by the shortened epidemic waits for anti-entropy); after 2 rounds 80 KB/s
     * with the tail unchanged (0.22 s).
     */
    static final int FEEDBACK_AFTER_ROUNDS = 2;

    /** About 100 packets at most; anything beyond arrives by anti-entropy. */
    static final int JOIN_ENTRY_LIMIT = 2000;

    /** Lazy push: entries announced to us and missing that we keep track of at most (beyond: anti-entropy). */
    static final int MAX_PULLS = 4096;
    /** Lazy push: announcers remembered per missing entry. */
    static final int MAX_ANNOUNCERS = 3;
    /**
     * Lazy push: pulls sent for a missing entry, to its announcers in turn, before leaving it to anti-entropy. Each
     * try fails with ~10% at 5% loss (the IWANT or the reply); with 3 tries ~1 repair in 1000 failed and that host
     * waited ~1 s for anti-entropy (2 of 150 trials at n=128: the p99); 6 tries span ~6 ticks.
     */
    static final int MAX_PULL_ASKS = 6;
    /** Lazy push: ticks to wait for a pulled entry before asking the next announcer (a LAN round trip is < 1 ms). */
    static final int PULL_RETRY_TICKS = 1;
    /** Tree mode: anti-entropy sends digests of origins changed within this many intervals first. */
    static final int RECENT_ORIGIN_INTERVALS = 3;
    /** Tree mode: ...but not younger than this (still on their way: a digest then only causes a needless repair). */
    static final int RECENT_ORIGIN_MIN_AGE_TICKS = 8;
    /** Tree mode: origins remembered as recently changed at most (the digest room takes ~15 of them anyway). */
    static final int MAX_RECENT_ORIGINS = 256;
    /** Tree mode: an own entry is first re-announced after the tree (depth 3-4 at 128-1000 hosts) delivered it. */
    static final int FIRST_ANNOUNCE_TICKS = 4;

    /** Tree mode: an entry new to us, to push to its tree children and announce at the next fast tick. */
    private record Fresh(Message.Entry entry, long from, boolean missed) {
    }

    /**
     * A host that had to pull an entry announces it this many times wider: the tree missed it here, so likely
     * around here too (loss, a dead relay), and random announcements reach a missed host with p ~ 1 - e^-fanout.
     */
    static final int MISSED_ANNOUNCE_MULT = 4;

    /** Lazy push: an announced entry we lack, asked for at {@code dueNanos} from its announcers in turn. */
    private static final class Pull {
        final List<InetSocketAddress> announcers = new ArrayList<>(MAX_ANNOUNCERS);
        int asked;
        long dueNanos;
    }

    /** Lazy push: an id still to be announced to {@code left} more peers, piggybacked on any packet. */
    private static final class Announcement {
        final Message.EntryId id;
        final long from;
        long dueNanos;                    // an echo's second copy is due later than its first (fillAnnouncements)
        final long[] sentTo;
        final long only;                  // a tree child that was sent the entry in full, or NO_PEER: anyone
        final InetSocketAddress onlyAddress;
        long notBeforeNanos;              // an echo rides no packet sent sooner (it must not overtake the copy)
        long[] skip = NO_IDS;             // our tree children of the entry: they have the echo instead
        int left;

        Announcement(Message.EntryId id, long from, int count, long dueNanos) {
            this(id, from, count, dueNanos, EntryStore.NO_PEER, null);
        }

        Announcement(Message.EntryId id, long from, int count, long dueNanos, long only, InetSocketAddress onlyAddress) {
            this.id = id;
            this.from = from;
            this.left = count;
            this.sentTo = new long[count];
            this.dueNanos = dueNanos;
            this.only = only;
            this.onlyAddress = onlyAddress;
        }

        boolean eligible(long peer, long nowNanos) {
            if (only != EntryStore.NO_PEER) {
                return peer == only && nowNanos >= notBeforeNanos;
            }
            if (peer == from || (peer == id.origin() && peer != EntryStore.NO_PEER)) {
                return false;
            }
            for (long c : skip) {
                if (c == peer) {
                    return false;
                }
            }
            for (int i = 0; i < sentTo.length - left; i++) {
                if (sentTo[i] == peer && peer != EntryStore.NO_PEER) {
                    return false;
                }
            }
            return true;
        }
    }

    private static final long[] NO_IDS = new long[0];
    /** An echo may ride on packets sent this long after the copy: more than a LAN's reordering of two packets. */
    static final long ECHO_NOT_BEFORE_NANOS = 1_000_000;

    /** Lazy push: announcements wait this many ticks at most for a packet to ride on before getting their own. */
    static final int ANNOUNCE_WAIT_TICKS = 2;
    /**
     * Echoes wait one tick at most: a lost tree copy is repaired one tick sooner (and so is the lost node's subtree).
     * Under load most echoes ride on the window's next tree packet anyway; measured in ExchangeBenchmark.
     */
    static final int ECHO_WAIT_TICKS = 1;
    /**
     * Echoes per tree copy, each later one at the next tick after the previous one: with one, a child whose copy
     * and echo were both lost (0.25% of edges at 5% loss, a third of the n=128 trials) depended on the ~2 random
     * announcements (none with p ~ e^-2) and otherwise on anti-entropy, seconds later: the multi-second outliers.
     * A repeat after 2 ticks instead of 1 cost the same bytes and ~15 ms more of p99 (ExchangeBenchmark, n=128).
     */
    static final int ECHO_COPIES = 2;
    static final int ECHO_REPEAT_TICKS = 1;
    /** Lazy push: pending announcements kept at most (the oldest go first; anti-entropy covers what they would). */
    static final int MAX_ANNOUNCEMENTS = 20_000;

    /** Tree mode: what one peer gets this tick. */
    private static final class Out {
        final long peer;
        final List<Message.Entry> full = new ArrayList<>();

        Out(long peer) {
            this.peer = peer;
        }

        boolean hasFullId(Message.EntryId id) {
            for (Message.Entry f : full) {
                if (f.origin() == id.origin() && (int) f.version() == id.versionLow()) {
                    return true;
                }
            }
            return false;
        }
    }

    private final ExchangeConfig cfg;
    private final long self;
    private final Transport transport;
    private final LongSupplier wallMillis;
    private final Random rnd;
    private final ExchangeListener listener;
    private final ExchangeCounters counters = new ExchangeCounters();
    private final PacketCodec codec;
    private final ReplayWindow replay = new ReplayWindow(65_536);
    private final BroadcastQueue broadcasts = new BroadcastQueue();
    private final EntryStore entries;
    private final Membership membership;
    private final long tickNanos;
    private long sequence;
    private long nextVersion;
    private long nextGossipAt;
    private long nextAntiEntropyAt;
    private int digestCursor;
    private int stateCursor;
    private long leaveDeadline = Long.MAX_VALUE;
    // tree mode (cfg.treeFanout() > 0): eager push along per-entry trees, lazy push of ids, pulls
    private final List<Fresh> fresh = new ArrayList<>();
    private final LinkedHashMap<Message.EntryId, Pull> pulls = new LinkedHashMap<>();
    private long nextPullAt = Long.MAX_VALUE;
    /** Tree mode: origins whose entries changed here lately, oldest change first, with the time (antiEntropy). */
    private final LinkedHashMap<Long, Long> recentOrigins = new LinkedHashMap<>();
    /** The time of the current tick or receive, for code below them that takes no time argument. */
    private long lastNowNanos;
    /** A pulled entry arrived in the packet being received: relay it before returning (see receive). */
    private boolean missedArrived;
    private long[] ring = new long[0];
    private final Map<Long, InetSocketAddress> addressOf = new HashMap<>();
    private final Map<InetSocketAddress, Long> idOf = new HashMap<>();
    private final java.util.ArrayDeque<Announcement> announcements = new java.util.ArrayDeque<>();
    private long ringTick = -1;
    private long gossipTicks;

    public ExchangeNode(ExchangeConfig config, Identity id, Transport transport, LongSupplier wallMillis, Random rnd,
                        ExchangeListener listener, long nowNanos) {
        this.cfg = config.validate();
        this.self = id.id();
        this.transport = transport;
        this.wallMillis = wallMillis;
        this.rnd = rnd;
        this.listener = listener == null ? ExchangeListener.NONE : listener;
        this.codec = new PacketCodec(id.poolId(), id.keys(), cfg.maxPacketBytes(), cfg.maxClockSkew().toMillis());
        this.entries = new EntryStore(self);
        this.tickNanos = cfg.fastTick().toNanos();
        long bootMicros = wallMillis.getAsLong() * 1000;
        // both start at boot time so a restarted node is ahead of what peers remember (replay window, versions)
        this.sequence = bootMicros;
        this.nextVersion = bootMicros;
        this.membership = new Membership(cfg, self, id.address(), 0, nowNanos, rnd, wallMillis, counters, new Outbox());
        this.nextGossipAt = nowNanos + (long) (rnd.nextDouble() * tickNanos);
        this.nextAntiEntropyAt = nowNanos + (long) (rnd.nextDouble() * cfg.antiEntropyInterval().toNanos());
    }

    // ------------------------------------------------------------ API

    public long id() {
        return self;
    }

    public ExchangeCounters counters() {
        return counters;
    }

    public List<MemberView> members() {
        return membership.members();
    }

    public MemberView member(long id) {
        return membership.member(id);
    }

    public int activeMembers() {
        return membership.activeCount();
    }

    public int awarenessScore() {
        return membership.awarenessScore();
    }

    public int incarnation() {
        return membership.incarnation();
    }

    public Optional<Message.Entry> entry(long origin, String key) {
        return entries.get(origin, key);
    }

    public int entryCount() {
        return entries.size();
    }

    /** Fingerprint of entries and membership; equal before and after garbage input ("no state change"). */
    public long stateFingerprint() {
        long f = entries.fingerprint();
        for (MemberView m : membership.members()) {
            f = f * 31 + m.hashCode();
        }
        return f;
    }

    public void rotateKeys(KeyRing keys) {
        codec.setKeys(keys);
    }

    public void join(List<InetSocketAddress> seeds, long nowNanos) {
        membership.join(seeds, nowNanos);
    }

    /** Adds members known without a join (a persisted member list, a simulator bootstrap). */
    public void seedMember(long id, InetSocketAddress address, long nowNanos) {
        membership.seed(id, address, nowNanos);
    }

    /**
     * Publishes a new version of one of this host's entries.
     *
     * @throws IllegalArgumentException if the key is empty or longer than 64 UTF-8 bytes, or the value above 1024 bytes
     */
    public Message.Entry publish(String key, byte[] value, long nowNanos) {
        // reject here, in the caller's hands, what the encoder would refuse later inside a tick
        MessageCodec.validate(new Message.Entry(self, key, 0, 0, value));
        nextVersion = Math.max(nextVersion + 1, wallMillis.getAsLong() * 1000);
        if (tree()) {
            Message.Entry e = entries.publish(key, value, nextVersion, cfg.entryTtl(), 0);
            entries.armRetransmit(key, nowNanos, tickNanos, FIRST_ANNOUNCE_TICKS);
            fresh.add(new Fresh(e, EntryStore.NO_PEER, false));
            noteRecent(self, nowNanos);
            return e;
        }
        return entries.publish(key, value, nextVersion, cfg.entryTtl(), relayTransmits());
    }

    private void noteRecent(long origin, long nowNanos) {
        recentOrigins.remove(origin); // re-inserted last: the map is ordered oldest change first
        recentOrigins.put(origin, nowNanos);
        if (recentOrigins.size() > MAX_RECENT_ORIGINS) {
            Iterator<Long> it = recentOrigins.keySet().iterator();
            it.next();
            it.remove();
        }
    }

    private boolean tree() {
        return cfg.treeFanout() > 0;
    }

    /** Starts a graceful leave; keep ticking until {@link #hasLeft} so the news gets out. */
    public void leave(long nowNanos) {
        membership.leave(nowNanos);
        leaveDeadline = nowNanos + 10 * tickNanos;
    }

    public boolean hasLeft(long nowNanos) {
        return membership.isLeaving() && (!broadcasts.contains(self) || nowNanos >= leaveDeadline);
    }

    private int relayTransmits() {
        return ExchangeConfig.transmitLimit(cfg.relayTransmitMult(), membership.activeCount());
    }

    private int broadcastTransmits() {
        return ExchangeConfig.transmitLimit(cfg.broadcastTransmitMult(), membership.activeCount());
    }

    // ------------------------------------------------------------ time

    /** Runs everything due at {@code nowNanos}; returns when it wants to be called next. */
    public long tick(long nowNanos) {
        counters.increment(Counter.TICKS);
        lastNowNanos = nowNanos;
        long next = membership.tick(nowNanos);
        if (nowNanos >= nextPullAt) {
            pullDue(nowNanos);
        }
        if (nowNanos >= nextGossipAt) {
            nextGossipAt = Math.max(nextGossipAt + tickNanos, nowNanos + 1);
            gossipTicks++;
            if (tree()) {
                treeGossip(nowNanos);
            } else {
                int due = entries.retransmitDue(nowNanos, cfg.gossipFanout(), cfg.entryTtl());
                counters.add(Counter.ENTRIES_RETRANSMITTED, due);
                gossip(nowNanos);
            }
        }
        next = Math.min(next, nextPullAt);
        if (nowNanos >= nextAntiEntropyAt && !membership.isLeaving()) {
            nextAntiEntropyAt = nowNanos + cfg.antiEntropyInterval().toNanos();
            antiEntropy(nowNanos);
        }
        // a leaving node runs no anti-entropy: its stale deadline must not make the loop spin
        return Math.min(next, Math.min(nextGossipAt, membership.isLeaving() ? Long.MAX_VALUE : nextAntiEntropyAt));
    }

    private void gossip(long nowNanos) {
        if (broadcasts.isEmpty() && !entries.hasHot()) {
            return;
        }
        // the peer's id, so entries it is known to hold are not sent to it
        Map<InetSocketAddress, Long> ids = new HashMap<>();
        for (MemberView m : membership.members()) {
            ids.put(m.address(), m.id());
        }
        long skips0 = entries.heldSkips();
        for (InetSocketAddress to : membership.gossipTargets(cfg.gossipFanout())) {
            PacketCodec.PacketBuilder b = newPacket();
            int budget = entries.hasHot() ? b.remainingBytes() / 2 : b.remainingBytes();
            counters.add(Counter.BROADCASTS_SENT, broadcasts.fill(b, budget, broadcastTransmits()));
            long peer = ids.getOrDefault(to, EntryStore.NO_PEER);
            counters.add(Counter.ENTRIES_SENT, entries.fill(b, peer, nowNanos, tickNanos, cfg.retransmitMaxTicks(), rnd));
            if (!b.isEmpty()) {
                send(to, b);
            }
        }
        counters.add(Counter.ENTRIES_SKIPPED_HELD, entries.heldSkips() - skips0);
    }

    // ------------------------------------------------------------ tree mode: eager tree, lazy ids, pulls

    /** Sorted ids of the active members (this host included) and their addresses, rebuilt once per tick at most. */
    private void refreshRing() {
        if (ringTick == gossipTicks) {
            return;
        }
        ringTick = gossipTicks;
        List<MemberView> all = membership.members();
        long[] ids = new long[all.size()];
        int n = 0;
        addressOf.clear();
        idOf.clear();
        for (MemberView m : all) {
            if (m.state().isActive()) {
                ids[n++] = m.id();
                addressOf.put(m.id(), m.address());
                idOf.put(m.address(), m.id());
            }
        }
        ring = Arrays.copyOf(ids, n);
        Arrays.sort(ring);
    }

    /**
     * Plumtree-style push without tree state: each entry new to us goes in full to its children in the entry's
     * {@link EntryTree} and as a 12-byte id to {@code lazyFanout} other peers (preferably ones a packet goes to
     * anyway, so announcements cost no extra headers); own entries due for retransmission are announced to
     * {@code gossipFanout} peers; membership news rides on every packet.
     */
    private void treeGossip(long nowNanos) {
        List<Message.Entry> due = entries.dueAnnouncements(nowNanos, tickNanos, cfg.retransmitMaxTicks(), rnd);
        if (fresh.isEmpty() && due.isEmpty() && broadcasts.isEmpty() && announcements.isEmpty()) {
            return;
        }
        refreshRing();
        Map<InetSocketAddress, Out> outs = new LinkedHashMap<>();
        List<Fresh> live = new ArrayList<>(fresh.size());
        List<long[]> liveChildren = new ArrayList<>(fresh.size());
        for (Fresh f : fresh) {
            Message.Entry e = f.entry();
            Optional<Message.Entry> current = entries.get(e.origin(), e.key());
            if (current.isEmpty() || current.get().version() != e.version()) {
                continue; // superseded within the tick: the newer version is fresh too
            }
            live.add(f);
            EntryTree t = new EntryTree(ring, e.origin(), (int) e.version(), cfg.treeFanout());
            long[] children = t.children(self);
            liveChildren.add(children);
            for (long child : children) {
                InetSocketAddress a = addressOf.get(child);
                if (child != f.from() && a != null) {
                    outs.computeIfAbsent(a, x -> new Out(child)).full.add(e);
                }
            }
        }
        fresh.clear();
        // half a tick of slack: a tick that ran late must not push these to the tick after the next
        long due0 = nowNanos + ANNOUNCE_WAIT_TICKS * tickNanos - tickNanos / 2;
        long echoDue = nowNanos + ECHO_WAIT_TICKS * tickNanos - tickNanos / 2;
        for (int i = 0; i < live.size(); i++) {
            Fresh f = live.get(i);
            if (cfg.lazyFanout() > 0) {
                int count = f.missed() ? MISSED_ANNOUNCE_MULT * cfg.lazyFanout() : cfg.lazyFanout();
                Announcement a = new Announcement(Message.EntryId.of(f.entry()), f.from(), count, due0);
                // a child hears of it only by its echo, which follows the copy: an announcement from its parent
                // means the copy is lost, and the child pulls at once (onIHave)
                a.skip = liveChildren.get(i);
                announcements.add(a);
            }
        }
        counters.add(Counter.ENTRIES_RETRANSMITTED, due.size());
        for (Message.Entry e : due) {
            // insurance behind the echoes and announcements, so it waits for packets to ride on like them (due now,
            // on packets of its own, it cost ~0.7 KB/s per host at n=128, 1 update/host/s)
            announcements.add(new Announcement(Message.EntryId.of(e), EntryStore.NO_PEER, cfg.gossipFanout(),
                    due0));
        }
        if (!broadcasts.isEmpty()) {
            for (InetSocketAddress a : membership.gossipTargets(cfg.gossipFanout())) {
                outs.computeIfAbsent(a, x -> new Out(idOf.getOrDefault(a, EntryStore.NO_PEER)));
            }
        }
        for (Map.Entry<InetSocketAddress, Out> o : outs.entrySet()) {
            sendOut(o.getKey(), o.getValue());
            // the echo: the entry's id rides on the next packet to the same child (the window's tree sends there
            // again soon), so a child whose copy was lost pulls it; covers exactly the edges loss cuts
            for (Message.Entry e : o.getValue().full) {
                Announcement echo = new Announcement(Message.EntryId.of(e), EntryStore.NO_PEER, ECHO_COPIES, echoDue,
                        o.getValue().peer, o.getKey());
                echo.notBeforeNanos = nowNanos + ECHO_NOT_BEFORE_NANOS;
                announcements.add(echo);
            }
        }
        while (announcements.size() > MAX_ANNOUNCEMENTS) {
            announcements.poll();
        }
        // announcements that found no packet to ride on within ANNOUNCE_WAIT_TICKS get packets of their own, each
        // carrying every pending id it may: to the child for an echo, else to a random peer
        for (int guard = 0; guard < 64; guard++) {
            Announcement head = null;
            for (Announcement a : announcements) {
                if (a.dueNanos <= nowNanos) {
                    head = a;
                    break;
                }
            }
            if (head == null) {
                break;
            }
            InetSocketAddress to;
            long peer;
            if (head.only != EntryStore.NO_PEER) {
                to = head.onlyAddress;
                peer = head.only;
            } else {
                List<MemberView> peers = membership.randomPeerViews(1, EntryStore.NO_PEER);
                if (peers.isEmpty()) {
                    announcements.clear();
                    break;
                }
                to = peers.get(0).address();
                peer = peers.get(0).id();
            }
            PacketCodec.PacketBuilder b = newPacket();
            b = fillAnnouncements(to, b, peer, null, true);
            if (!b.isEmpty()) {
                send(to, b);
            } else {
                announcements.remove(head); // nothing it may go to (e.g. the only peer is where it came from)
            }
        }
    }

    /**
     * Adds pending announcements the peer is eligible for (not where the entry came from, not its origin, not
     * already told, not in this packet in full) as IHAVE records; when {@code overflow} and the packet fills, it is
     * sent and a new one started. Returns the packet to finish.
     */
    private PacketCodec.PacketBuilder fillAnnouncements(InetSocketAddress to, PacketCodec.PacketBuilder b, long peer,
                                                        Out out, boolean overflow) {
        List<Message.EntryId> ids = new ArrayList<>();
        Iterator<Announcement> it = announcements.iterator();
        while (it.hasNext()) {
            Announcement a = it.next();
            if (a.left <= 0 || entries.byId(a.id).isEmpty()) {
                it.remove(); // done, or superseded by a newer version (announced on its own)
                continue;
            }
            if (!a.eligible(peer, lastNowNanos) || (out != null && out.hasFullId(a.id))) {
                continue;
            }
            int room = (b.remainingBytes() - MessageCodec.RECORD_HEADER_BYTES - 1) / MessageCodec.ID_BYTES;
            if (ids.size() >= Math.min(room, MessageCodec.MAX_IDS) || b.count() >= PacketCodec.MAX_RECORDS - 1) {
                if (!ids.isEmpty()) {
                    b.tryAdd(new Message.IHave(ids));
                    counters.add(Counter.IHAVE_IDS_SENT, ids.size());
                    ids = new ArrayList<>();
                }
                if (!overflow) {
                    break;
                }
                send(to, b);
                b = newPacket();
            }
            ids.add(a.id);
            a.sentTo[a.sentTo.length - a.left] = peer;
            a.left--;
            if (a.only != EntryStore.NO_PEER && a.left > 0) {
                // the next copy on a later packet
                a.dueNanos = lastNowNanos + ECHO_REPEAT_TICKS * tickNanos - tickNanos / 2;
                a.notBeforeNanos = lastNowNanos + ECHO_NOT_BEFORE_NANOS;
            }
            if (a.left <= 0) {
                it.remove();
            }
        }
        if (!ids.isEmpty()) {
            b.tryAdd(new Message.IHave(ids));
            counters.add(Counter.IHAVE_IDS_SENT, ids.size());
        }
        return b;
    }

    private void sendOut(InetSocketAddress to, Out out) {
        PacketCodec.PacketBuilder b = newPacket();
        if (!broadcasts.isEmpty()) {
            int budget = out.full.isEmpty() ? b.remainingBytes() : b.remainingBytes() / 2;
            counters.add(Counter.BROADCASTS_SENT, broadcasts.fill(b, budget, broadcastTransmits()));
        }
        for (Message.Entry e : out.full) {
            if (!b.tryAdd(e)) {
                send(to, b);
                b = newPacket();
                b.tryAdd(e);
            }
        }
        counters.add(Counter.ENTRIES_SENT, out.full.size());
        b = fillAnnouncements(to, b, out.peer, out, false);
        if (!b.isEmpty()) {
            send(to, b);
        }
    }

    private void onIHave(Message.IHave h, InetSocketAddress from, long sender, long nowNanos, List<Message> replies) {
        counters.add(Counter.IHAVE_IDS_RECEIVED, h.ids().size());
        List<Message.EntryId> now = new ArrayList<>();
        for (Message.EntryId id : h.ids()) {
            if (id.origin() == self) {
                continue;
            }
            if (entries.byId(id).isPresent()) {
                counters.increment(Counter.IHAVE_IDS_KNOWN);
                continue;
            }
            Pull p = pulls.get(id);
            if (p == null) {
                if (pulls.size() >= MAX_PULLS) {
                    continue;
                }
                p = new Pull();
                int delay = pullDelayTicks(id, sender);
                if (delay == 0) {
                    // our tree parent's echo: sent after its copy to us, which is lost; ask in the reply to it
                    p.announcers.add(from);
                    p.asked = 1;
                    now.add(id);
                    p.dueNanos = nowNanos + PULL_RETRY_TICKS * tickNanos - tickNanos / 2;
                } else {
                    p.dueNanos = nowNanos + delay * tickNanos;
                }
                pulls.put(id, p);
                nextPullAt = Math.min(nextPullAt, p.dueNanos);
            }
            if (p.announcers.size() < MAX_ANNOUNCERS && !p.announcers.contains(from)) {
                p.announcers.add(from);
            }
        }
        for (int i = 0; i < now.size(); i += MessageCodec.MAX_IDS) {
            replies.add(new Message.IWant(now.subList(i, Math.min(now.size(), i + MessageCodec.MAX_IDS))));
        }
        counters.add(Counter.IWANT_IDS_SENT, now.size());
        counters.add(Counter.IWANT_IDS_AT_ONCE, now.size());
    }

    /**
     * How long to wait for the tree's copy before pulling: the announcer had the entry at about its own depth in
     * the tree and announced it within a tick; ours comes at our depth. One tick of slack for the tick phases.
     * None (ask at once) when the announcer is our parent: a parent announces to its tree children only by the
     * echo, which rides no packet sent within ECHO_NOT_BEFORE_NANOS of the copy, so the copy is lost. (Before those
     * two rules an immediate pull made reordered copies duplicates: 22 in LazyPushSimTest's 1260 lossless
     * deliveries.) Pulling early from any announcer at our depth or deeper was not done: tick phases let it be
     * ahead of our parent.
     */
    private int pullDelayTicks(Message.EntryId id, long announcer) {
        if (!tree()) {
            return 1;
        }
        refreshRing();
        EntryTree t = new EntryTree(ring, id.origin(), id.versionLow(), cfg.treeFanout());
        int mine = t.position(self);
        int theirs = t.position(announcer);
        if (mine < 0 || theirs < 0) {
            return 1;
        }
        if (t.parentOf(self) == announcer) {
            return 0;
        }
        return 1 + Math.max(0, t.depth(mine) - t.depth(theirs) - 1);
    }

    /** Pulls whose wait ran out: ask the next announcer (one IWANT packet per announcer), or give up. */
    private void pullDue(long nowNanos) {
        nextPullAt = Long.MAX_VALUE;
        Map<InetSocketAddress, List<Message.EntryId>> asks = new LinkedHashMap<>();
        Iterator<Map.Entry<Message.EntryId, Pull>> it = pulls.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Message.EntryId, Pull> en = it.next();
            Pull p = en.getValue();
            if (entries.byId(en.getKey()).isPresent()) {
                it.remove();
                continue;
            }
            if (p.dueNanos > nowNanos) {
                nextPullAt = Math.min(nextPullAt, p.dueNanos);
                continue;
            }
            if (p.asked >= MAX_PULL_ASKS || p.announcers.isEmpty()) {
                it.remove();
                counters.increment(Counter.PULLS_ABANDONED);
                continue;
            }
            InetSocketAddress to = p.announcers.get(p.asked % p.announcers.size());
            p.asked++;
            p.dueNanos = nowNanos + PULL_RETRY_TICKS * tickNanos - tickNanos / 2;
            nextPullAt = Math.min(nextPullAt, p.dueNanos);
            asks.computeIfAbsent(to, x -> new ArrayList<>()).add(en.getKey());
        }
        for (Map.Entry<InetSocketAddress, List<Message.EntryId>> a : asks.entrySet()) {
            List<Message.EntryId> ids = a.getValue();
            List<Message> records = new ArrayList<>();
            for (int i = 0; i < ids.size(); i += MessageCodec.MAX_IDS) {
                records.add(new Message.IWant(ids.subList(i, Math.min(ids.size(), i + MessageCodec.MAX_IDS))));
            }
            counters.add(Counter.IWANT_IDS_SENT, ids.size());
            sendDirect(a.getKey(), records);
        }
    }

    private void onIWant(Message.IWant w, List<Message> replies) {
        for (Message.EntryId id : w.ids()) {
            Optional<Message.Entry> e = entries.byId(id);
            if (e.isPresent()) {
                replies.add(e.get());
                counters.increment(Counter.ENTRIES_PULL_SERVED);
            }
        }
    }

    /**
     * Digests for the origins that changed here lately (tree mode, up to half the digest room, newest first) and the
     * next slice of all origins, and the next slice of member states, to one random peer. The recent ones first: a
     * host the tree and the announcements both missed (copy, echo and pulls lost) lacks a recent entry, and
     * whichever host sends it its next digests has it among its recent origins, so it is repaired within about one
     * interval instead of waiting for the cycle through all origins (~4 s at n=128, ~30 s at n=1000).
     */
    private void antiEntropy(long nowNanos) {
        List<InetSocketAddress> peer = membership.randomPeerAddresses(1);
        if (peer.isEmpty()) {
            return;
        }
        PacketCodec.PacketBuilder b = newPacket();
        List<Long> origins = entries.originList();
        // tree mode: half the packet (was 2/3; with the recent origins first the full cycle may be slower): ~0.2 KB/s
        // less per host at n=128, part of the price of the second echo
        int digestBudget = tree() ? b.remainingBytes() / 2 : b.remainingBytes() * 2 / 3;
        int used = 0;
        Set<Long> done = new HashSet<>();
        if (!recentOrigins.isEmpty()) {
            long cutoff = nowNanos - RECENT_ORIGIN_INTERVALS * cfg.antiEntropyInterval().toNanos();
            recentOrigins.values().removeIf(at -> at < cutoff);
            // changes younger than the tree and its repairs take are still on their way: no digest for them yet
            long youngest = nowNanos - RECENT_ORIGIN_MIN_AGE_TICKS * tickNanos;
            List<Long> recent = new ArrayList<>();
            for (Map.Entry<Long, Long> r : recentOrigins.entrySet()) {
                if (r.getValue() <= youngest && entries.maxVersion(r.getKey()) != 0) {
                    recent.add(r.getKey());
                }
            }
            for (int i = recent.size() - 1; i >= 0; i--) {
                Message.Digest d = entries.digest(recent.get(i), true);
                if (used + MessageCodec.size(d) > digestBudget / 2 || !b.tryAdd(d)) {
                    break;
                }
                used += MessageCodec.size(d);
                done.add(recent.get(i));
                counters.increment(Counter.DIGESTS_SENT);
                counters.increment(Counter.DIGESTS_SENT_RECENT);
            }
        }
        for (int i = 0; i < origins.size(); i++) {
            long o = origins.get(Math.floorMod(digestCursor, origins.size()));
            if (done.contains(o)) {
                digestCursor++;
                continue;
            }
            Message.Digest d = entries.digest(o, true);
            if (used + MessageCodec.size(d) > digestBudget || !b.tryAdd(d)) {
                break;
            }
            used += MessageCodec.size(d);
            digestCursor++;
            counters.increment(Counter.DIGESTS_SENT);
        }
        List<Message> states = membership.stateRecords(stateCursor, 16);
        for (Message m : states) {
            if (!b.tryAdd(m)) {
                break;
            }
        }
        stateCursor += 16;
        send(peer.get(0), b);
    }

    // ------------------------------------------------------------ receive

    /** One datagram from {@code from}. Never throws for any content; bad packets are counted and change nothing. */
    public void receive(InetSocketAddress from, byte[] data, int offset, int length, long nowNanos) {
        counters.increment(Counter.PACKETS_IN);
        counters.add(Counter.BYTES_IN, length);
        lastNowNanos = nowNanos;
        DecodeResult r = codec.decode(data, offset, length, wallMillis.getAsLong());
        if (!r.accepted()) {
            counters.increment(r.drop().counter);
            return;
        }
        Packet p = r.packet();
        if (p.sender() == self) {
            counters.increment(Counter.DROP_FROM_SELF);
            return;
        }
        if (!replay.isFresh(p.sender(), p.sequence())) {
            counters.increment(Counter.DROP_REPLAY);
            return;
        }
        replay.record(p.sender(), p.sequence());
        counters.increment(Counter.PACKETS_ACCEPTED);
        counters.add(Counter.SKIPPED_UNKNOWN_RECORD, r.skippedRecords());
        List<Message> replies = new ArrayList<>();
        for (Message m : p.messages()) {
            if (m instanceof Message.Entry e) {
                onEntry(e, p.sender(), nowNanos);
            } else if (m instanceof Message.Digest d) {
                onDigest(d, replies);
            } else if (m instanceof Message.IHave h) {
                onIHave(h, from, p.sender(), nowNanos, replies);
            } else if (m instanceof Message.IWant w) {
                onIWant(w, replies);
            } else {
                membership.handle(m, from, p.sender(), nowNanos);
                if (m instanceof Message.Join) {
                    // a joiner should not wait for anti-entropy to learn the pool's state: push it now
                    replies.addAll(entries.snapshot(JOIN_ENTRY_LIMIT));
                }
            }
        }
        membership.packetFrom(p.sender(), from, nowNanos);
        if (!replies.isEmpty()) {
            sendDirect(from, replies);
        }
        if (missedArrived) {
            // a pulled entry is late here and so at our whole subtree: pass it on now, not at the next tick
            missedArrived = false;
            counters.increment(Counter.PULLED_RELAYED_AT_ONCE);
            treeGossip(nowNanos);
        }
    }

    private void onEntry(Message.Entry e, long from, long nowNanos) {
        if (e.origin() == self) {
            // our own entry coming back: normal, unless it is from before a restart and newer than ours
            nextVersion = Math.max(nextVersion, e.version());
            Optional<Message.Entry> mine = entries.get(self, e.key());
            if (mine.isPresent() && mine.get().version() < e.version()) {
                publish(e.key(), mine.get().value(), nowNanos);
            } else if (mine.isEmpty()) {
                entries.apply(e.withTtl(0), 0);
            }
            return;
        }
        long credits0 = entries.duplicateCredits();
        // tree mode: nothing goes hot, the tree and the announcements carry it (see treeGossip)
        EntryStore.Applied a = entries.apply(e, tree() ? 0 : relayTransmits(), from,
                FEEDBACK_AFTER_ROUNDS * cfg.gossipFanout());
        counters.add(Counter.ENTRIES_DUPLICATE_CREDITS, entries.duplicateCredits() - credits0);
        if (a == EntryStore.Applied.NEWER) {
            counters.increment(Counter.ENTRIES_APPLIED);
            if (tree()) {
                noteRecent(e.origin(), nowNanos);
            }
            if (tree() && e.ttl() > 0) {
                Pull pending = pulls.remove(Message.EntryId.of(e));
                boolean missed = pending != null && pending.asked > 0;
                fresh.add(new Fresh(entries.get(e.origin(), e.key()).orElseThrow(), from, missed));
                missedArrived |= missed;
            }
            listener.onEntry(e, nowNanos);
        } else {
            counters.increment(Counter.ENTRIES_STALE);
        }
    }

    private void onDigest(Message.Digest d, List<Message> replies) {
        counters.increment(Counter.DIGESTS_RECEIVED);
        if (entries.sameAs(d)) {
            return;
        }
        long mine = entries.maxVersion(d.origin());
        List<Message.Entry> repair = mine > d.maxVersion()
                ? entries.entriesNewerThan(d.origin(), d.maxVersion(), tree())
                : mine == d.maxVersion() ? entries.entriesNewerThan(d.origin(), Long.MIN_VALUE, tree()) : List.of();
        counters.add(Counter.ENTRIES_REPAIRED, repair.size());
        replies.addAll(repair);
        if (d.reply() && mine <= d.maxVersion()) {
            replies.add(entries.digest(d.origin(), false)); // we may lack something: ask the sender to push it
        }
    }

    // ------------------------------------------------------------ send

    private PacketCodec.PacketBuilder newPacket() {
        long wall = wallMillis.getAsLong();
        // track the wall clock: if it was wrong at boot and got corrected, we move ahead of what peers remember
        sequence = Math.max(sequence + 1, wall * 1000);
        return codec.newPacket(self, sequence, wall);
    }

    private void send(InetSocketAddress to, PacketCodec.PacketBuilder b) {
        byte[] bytes = b.finish();
        counters.increment(Counter.PACKETS_OUT);
        counters.add(Counter.BYTES_OUT, bytes.length);
        try {
            transport.send(to, bytes);
        } catch (RuntimeException e) {
            // a transport must not throw, but one bad peer address must not stop the loop either
            counters.increment(Counter.SEND_ERRORS);
        }
    }

    /** Sends records to one peer in as many packets as needed, with gossip piggybacked on the last one. */
    private void sendDirect(InetSocketAddress to, List<Message> messages) {
        PacketCodec.PacketBuilder b = newPacket();
        for (Message m : messages) {
            if (!b.tryAdd(m)) {
                send(to, b);
                b = newPacket();
                b.tryAdd(m);
            }
        }
        counters.add(Counter.BROADCASTS_SENT, broadcasts.fill(b, b.remainingBytes(), broadcastTransmits()));
        if (!announcements.isEmpty()) {
            b = fillAnnouncements(to, b, idOf.getOrDefault(to, EntryStore.NO_PEER), null, false);
        }
        send(to, b);
    }

    private final class Outbox implements Membership.Outbox {
        @Override
        public void sendDirect(InetSocketAddress to, List<Message> messages) {
            ExchangeNode.this.sendDirect(to, messages);
        }

        @Override
        public void broadcast(long member, Message message) {
            broadcasts.enqueue(member, message);
        }

        @Override
        public void event(MemberEvent event) {
            listener.onMemberEvent(event);
        }

        @Override
        public void forget(long member) {
            entries.removeOrigin(member);
            recentOrigins.remove(member); // a digest of an origin we dropped would invite its entries back
            // the replay window is kept (LRU-capped): old captured packets of the member stay rejected
        }
    }
}
