package org.poolwarden.exchange;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.LongSupplier;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.dissemination.BroadcastQueue;
import org.poolwarden.exchange.dissemination.EntryStore;
import org.poolwarden.exchange.membership.DeadRecovery;
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

    /** How members held dead get a chance to refute (default {@link DeadRecovery#lan()}). */
    public ExchangeNode deadRecovery(DeadRecovery r) {
        membership.deadRecovery(r);
        return this;
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
        return entries.publish(key, value, nextVersion, cfg.entryTtl(), relayTransmits());
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
        long next = membership.tick(nowNanos);
        if (nowNanos >= nextGossipAt) {
            nextGossipAt = Math.max(nextGossipAt + tickNanos, nowNanos + 1);
            int due = entries.retransmitDue(nowNanos, cfg.gossipFanout(), cfg.entryTtl());
            counters.add(Counter.ENTRIES_RETRANSMITTED, due);
            gossip(nowNanos);
        }
        if (nowNanos >= nextAntiEntropyAt && !membership.isLeaving()) {
            nextAntiEntropyAt = nowNanos + cfg.antiEntropyInterval().toNanos();
            antiEntropy();
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

    /** Digests for the next slice of origins and the next slice of member states, to one random peer. */
    private void antiEntropy() {
        List<InetSocketAddress> peer = membership.randomPeerAddresses(1);
        if (peer.isEmpty()) {
            return;
        }
        PacketCodec.PacketBuilder b = newPacket();
        List<Long> origins = entries.originList();
        int digestBudget = b.remainingBytes() * 2 / 3;
        int used = 0;
        for (int i = 0; i < origins.size(); i++) {
            Message.Digest d = entries.digest(origins.get(Math.floorMod(digestCursor, origins.size())), true);
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
        EntryStore.Applied a = entries.apply(e, relayTransmits(), from, FEEDBACK_AFTER_ROUNDS * cfg.gossipFanout());
        counters.add(Counter.ENTRIES_DUPLICATE_CREDITS, entries.duplicateCredits() - credits0);
        if (a == EntryStore.Applied.NEWER) {
            counters.increment(Counter.ENTRIES_APPLIED);
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
                ? entries.entriesNewerThan(d.origin(), d.maxVersion())
                : mine == d.maxVersion() ? entries.entriesNewerThan(d.origin(), Long.MIN_VALUE) : List.of();
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
            // the replay window is kept (LRU-capped): old captured packets of the member stay rejected
        }
    }
}
