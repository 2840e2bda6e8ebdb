package org.poolwarden.exchange.dissemination;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.PacketCodec;

/**
 * Every host's entries, newest version wins, plus the "hot" set still being pushed to peers. Hot entries are taken
 * round-robin across origins, so one origin with many changes cannot starve the others when more is hot than fits
 * a packet. Per origin a digest (max version, count, xor-hash of key and version) lets two hosts find out cheaply
 * whether they differ. Not thread-safe: owned by the node's event loop.
 */
public final class EntryStore {

    /** One stored entry. {@code entry.ttl()} is the TTL it is relayed with. */
    static final class Stored {
        Message.Entry entry;
        int transmitsLeft;
        int sends; // of this version since it became hot: feedback only trims what comes after the first round
        long packetStamp = -1;
        boolean hot;
        // own entries only: randomized exponential back-off of retransmissions (seed 004)
        int backoffRange = 1;
        long retransmitAtNanos = Long.MAX_VALUE;
        // peers known to hold this version: it came from them, they sent it again, or we sent it to them.
        // Sending it to one of them again would be pure redundancy. Bounded; the oldest is overwritten.
        // Allocated while needed only: a cold relayed entry drops it (memory stays O(hot), not O(store)).
        long[] holders;
        int holderCount;

        boolean heldBy(long peer) {
            if (holders == null) {
                return false;
            }
            for (int i = 0; i < Math.min(holderCount, HOLDERS); i++) {
                if (holders[i] == peer) {
                    return true;
                }
            }
            return false;
        }

        void addHolder(long peer) {
            if (peer != NO_PEER && !heldBy(peer)) {
                if (holders == null) {
                    holders = new long[HOLDERS];
                }
                holders[holderCount++ % HOLDERS] = peer;
            }
        }
    }

    /** Peer id meaning "unknown": nobody is skipped for it. */
    public static final long NO_PEER = Long.MIN_VALUE;
    static final int HOLDERS = 16;

    /** Everything from one origin. */
    static final class Origin {
        final long id;
        long maxVersion;
        int hash;
        final Map<String, Stored> entries = new HashMap<>();
        final ArrayDeque<Stored> hot = new ArrayDeque<>();

        Origin(long id) {
            this.id = id;
        }
    }

    public enum Applied { NEWER, SAME, STALE }

    private final long self;
    private final Map<Long, Origin> origins = new LinkedHashMap<>();
    private final List<Origin> hotRing = new ArrayList<>();
    private int ringCursor;
    private long stamp;
    private long heldSkips;
    private long duplicateCredits;

    public EntryStore(long self) {
        this.self = self;
    }

    private Origin origin(long id) {
        return origins.computeIfAbsent(id, Origin::new);
    }

    static int entryHash(String key, long version) {
        long h = key.hashCode() * 0x9E3779B97F4A7C15L ^ version;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h;
    }

    private void put(Origin o, Message.Entry e, Stored s) {
        if (s.entry != null) {
            o.hash ^= entryHash(s.entry.key(), s.entry.version());
        }
        s.entry = e;
        o.hash ^= entryHash(e.key(), e.version());
        o.maxVersion = Math.max(o.maxVersion, e.version());
    }

    private void makeHot(Origin o, Stored s, int transmits) {
        s.transmitsLeft = transmits;
        s.sends = 0;
        if (!s.hot && transmits > 0) {
            s.hot = true;
            if (o.hot.isEmpty()) {
                hotRing.add(o);
            }
            o.hot.add(s);
        }
    }

    /** A new version of one of our own entries. */
    public Message.Entry publish(String key, byte[] value, long version, int ttl, int transmits) {
        Origin o = origin(self);
        Stored s = o.entries.computeIfAbsent(key, k -> new Stored());
        Message.Entry e = new Message.Entry(self, key, version, ttl, value.clone());
        put(o, e, s);
        s.holderCount = 0;
        s.backoffRange = 1;
        s.retransmitAtNanos = Long.MAX_VALUE;
        makeHot(o, s, transmits);
        return e;
    }

    /**
     * Applies a received entry. A newer one is stored and, while its TTL lasts, relayed {@code transmits} times
     * with the TTL decremented; an equal or older one is ignored.
     */
    public Applied apply(Message.Entry e, int transmits) {
        return apply(e, transmits, NO_PEER, Integer.MAX_VALUE);
    }

    /**
     * As {@link #apply(Message.Entry, int)}, received from {@code from}. {@code from} is remembered as holding the
     * version and is not sent it back. A copy of the version we already hold is feedback that it has spread
     * around us (Demers' rumor mongering with feedback): it uses up one of our remaining transmits, so relaying
     * stops early once the pool has the entry instead of always running the full {@code transmits}. Only after
     * {@code firstRound} sends: early duplicates are normal (several peers push a fresh entry at once), and cutting
     * the first round made the epidemic die out before reaching everyone.
     */
    public Applied apply(Message.Entry e, int transmits, long from, int firstRound) {
        Origin o = origin(e.origin());
        Stored s = o.entries.get(e.key());
        if (s != null && s.entry.version() >= e.version()) {
            if (s.entry.version() == e.version()) {
                if (s.hot || o.id == self) {
                    s.addHolder(from);
                }
                if (s.hot && s.transmitsLeft > 0 && s.sends >= firstRound && o.id != self) {
                    s.transmitsLeft--; // leaves the hot queue when fill reaches it
                    duplicateCredits++;
                }
                return Applied.SAME;
            }
            return Applied.STALE;
        }
        if (s == null) {
            s = new Stored();
            o.entries.put(e.key(), s);
        }
        int relayTtl = Math.max(0, e.ttl() - 1);
        put(o, e.withTtl(relayTtl), s);
        s.holderCount = 0;
        s.addHolder(from);
        if (e.ttl() > 0) {
            makeHot(o, s, transmits);
        }
        return Applied.NEWER;
    }

    /**
     * Fills the packet with hot entries, one per origin per round, starting at a different origin each packet.
     * Each entry added uses up one of its transmits; an own entry that goes cold is scheduled for retransmission.
     * Entries {@code peer} is known to hold are not added but use up a transmit all the same (sending would have
     * been wasted, and counting it keeps every entry's total bounded).
     */
    public int fill(PacketCodec.PacketBuilder b, long nowNanos, long tickNanos, int retransmitMaxTicks, Random rnd) {
        return fill(b, NO_PEER, nowNanos, tickNanos, retransmitMaxTicks, rnd);
    }

    public int fill(PacketCodec.PacketBuilder b, long peer, long nowNanos, long tickNanos, int retransmitMaxTicks,
                    Random rnd) {
        if (hotRing.isEmpty()) {
            return 0;
        }
        long myStamp = ++stamp;
        int added = 0;
        int n = hotRing.size();
        int start = Math.floorMod(ringCursor++, n);
        boolean progress = true;
        List<Origin> snapshot = new ArrayList<>(hotRing);
        while (progress) {
            progress = false;
            for (int i = 0; i < n; i++) {
                Origin o = snapshot.get((start + i) % n);
                Stored s = o.hot.peek();
                // drop what feedback has used up, and skip (spending a transmit) what the peer already holds
                while (s != null && s.packetStamp != myStamp && (s.transmitsLeft <= 0 || s.heldBy(peer))) {
                    if (s.transmitsLeft > 0) {
                        heldSkips++;
                        progress = true;
                        s.packetStamp = myStamp; // once per packet, or a lone entry would burn all its transmits
                    }
                    spend(o, s, nowNanos, tickNanos, retransmitMaxTicks, rnd);
                    s = o.hot.peek();
                }
                if (s == null || s.packetStamp == myStamp) {
                    continue;
                }
                if (!b.tryAdd(s.entry)) {
                    continue;
                }
                added++;
                progress = true;
                s.packetStamp = myStamp;
                s.sends++;
                s.addHolder(peer);
                spend(o, s, nowNanos, tickNanos, retransmitMaxTicks, rnd);
            }
            if (b.count() >= PacketCodec.MAX_RECORDS) {
                break;
            }
        }
        hotRing.removeIf(o -> o.hot.isEmpty());
        return added;
    }

    /** One transmit of the head of {@code o}'s hot queue used: back to the tail, or cold. */
    private void spend(Origin o, Stored s, long nowNanos, long tickNanos, int retransmitMaxTicks, Random rnd) {
        o.hot.poll();
        if (--s.transmitsLeft > 0) {
            o.hot.add(s);
        } else {
            s.hot = false;
            if (o.id != self) {
                s.holders = null; // own entries keep theirs: a retransmission need not go to known holders
                s.holderCount = 0;
            }
            if (o.id == self && retransmitMaxTicks > 0) {
                long ticks = 1 + (long) rnd.nextInt(s.backoffRange);
                s.retransmitAtNanos = nowNanos + ticks * tickNanos;
                s.backoffRange = Math.min(retransmitMaxTicks, s.backoffRange * 2);
            }
        }
    }

    /** Entries not sent because the peer was known to hold them (cumulative). */
    public long heldSkips() {
        return heldSkips;
    }

    /** Transmits given up because a copy of the same version arrived (cumulative). */
    public long duplicateCredits() {
        return duplicateCredits;
    }

    /**
     * The stored entry with this id (origin and low 32 bits of the version), if we hold that version: what an
     * announcement names and a pull asks for.
     */
    public Optional<Message.Entry> byId(Message.EntryId id) {
        Origin o = origins.get(id.origin());
        if (o != null) {
            for (Stored s : o.entries.values()) {
                if ((int) s.entry.version() == id.versionLow()) {
                    return Optional.of(s.entry);
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Tree mode: schedules the first re-announcement of an own entry just published (not hot: the tree and the
     * announcements carry it), after {@code firstTicks}; later ones back off as in {@link #dueAnnouncements}.
     */
    public void armRetransmit(String key, long nowNanos, long tickNanos, int firstTicks) {
        Origin o = origins.get(self);
        Stored s = o == null ? null : o.entries.get(key);
        if (s != null) {
            s.backoffRange = 1;
            s.retransmitAtNanos = nowNanos + firstTicks * tickNanos;
        }
    }

    /**
     * Tree mode: own entries whose re-announcement is due; each is rescheduled after a random 1..range ticks, the
     * range doubling up to {@code retransmitMaxTicks} (randomized exponential back-off, as the rumor push's).
     */
    public List<Message.Entry> dueAnnouncements(long nowNanos, long tickNanos, int retransmitMaxTicks, Random rnd) {
        Origin o = origins.get(self);
        if (o == null || retransmitMaxTicks <= 0) {
            return List.of();
        }
        List<Message.Entry> due = new ArrayList<>();
        for (Stored s : o.entries.values()) {
            if (!s.hot && s.retransmitAtNanos <= nowNanos) {
                due.add(s.entry);
                s.backoffRange = Math.min(retransmitMaxTicks, s.backoffRange * 2);
                s.retransmitAtNanos = nowNanos + (1 + (long) rnd.nextInt(s.backoffRange)) * tickNanos;
            }
        }
        return due;
    }

    /** Makes own entries whose back-off expired hot again; returns how many. */
    public int retransmitDue(long nowNanos, int transmits, int ttl) {
        Origin o = origins.get(self);
        if (o == null) {
            return 0;
        }
        int due = 0;
        for (Stored s : o.entries.values()) {
            if (!s.hot && s.retransmitAtNanos <= nowNanos) {
                s.retransmitAtNanos = Long.MAX_VALUE;
                s.entry = s.entry.withTtl(ttl);
                makeHot(o, s, transmits);
                due++;
            }
        }
        return due;
    }

    /** Earliest pending retransmission of an own entry. */
    public long nextRetransmitNanos() {
        Origin o = origins.get(self);
        long next = Long.MAX_VALUE;
        if (o != null) {
            for (Stored s : o.entries.values()) {
                if (!s.hot) {
                    next = Math.min(next, s.retransmitAtNanos);
                }
            }
        }
        return next;
    }

    public boolean hasHot() {
        return !hotRing.isEmpty();
    }

    public Message.Digest digest(long origin, boolean reply) {
        Origin o = origins.get(origin);
        if (o == null) {
            return new Message.Digest(origin, 0, 0, 0, reply);
        }
        return new Message.Digest(origin, o.maxVersion, o.entries.size(), o.hash, reply);
    }

    public boolean sameAs(Message.Digest d) {
        Origin o = origins.get(d.origin());
        int count = o == null ? 0 : o.entries.size();
        long max = o == null ? 0 : o.maxVersion;
        int hash = o == null ? 0 : o.hash;
        return count == d.count() && max == d.maxVersion() && hash == d.hash();
    }

    /** Entries of an origin newer than {@code version} (all when {@code version} is below every one), TTL 0. */
    public List<Message.Entry> entriesNewerThan(long origin, long version) {
        return entriesNewerThan(origin, version, false);
    }

    /**
     * As {@link #entriesNewerThan(long, long)}; {@code keepTtl} sends them with their relay TTL instead of 0 (tree
     * mode: a host that had to be repaired was cut off from its tree parent, so its subtree likely misses them too
     * and it must pass them on).
     */
    public List<Message.Entry> entriesNewerThan(long origin, long version, boolean keepTtl) {
        Origin o = origins.get(origin);
        if (o == null) {
            return List.of();
        }
        List<Message.Entry> out = new ArrayList<>();
        for (Stored s : o.entries.values()) {
            if (s.entry.version() > version) {
                out.add(keepTtl ? s.entry : s.entry.withTtl(0));
            }
        }
        return out;
    }

    /** Up to {@code limit} entries of every origin, TTL 0: the initial state for a joining host. */
    public List<Message.Entry> snapshot(int limit) {
        List<Message.Entry> out = new ArrayList<>();
        for (Origin o : origins.values()) {
            for (Stored s : o.entries.values()) {
                if (out.size() >= limit) {
                    return out;
                }
                out.add(s.entry.withTtl(0));
            }
        }
        return out;
    }

    public long maxVersion(long origin) {
        Origin o = origins.get(origin);
        return o == null ? 0 : o.maxVersion;
    }

    public Collection<Long> origins() {
        return Collections.unmodifiableCollection(origins.keySet());
    }

    public List<Long> originList() {
        return new ArrayList<>(origins.keySet());
    }

    public Optional<Message.Entry> get(long origin, String key) {
        Origin o = origins.get(origin);
        Stored s = o == null ? null : o.entries.get(key);
        return s == null ? Optional.empty() : Optional.of(s.entry);
    }

    /** A reaped member's entries go with it. */
    public void removeOrigin(long origin) {
        Origin o = origins.remove(origin);
        if (o != null) {
            hotRing.remove(o);
        }
    }

    public int size() {
        int n = 0;
        for (Origin o : origins.values()) {
            n += o.entries.size();
        }
        return n;
    }

    /** Order-independent fingerprint of the whole store (tests: "no state change"). */
    public long fingerprint() {
        long f = 0;
        for (Origin o : origins.values()) {
            f += (o.id * 31 + o.maxVersion) * 1_000_003L + o.hash * 7L + o.entries.size();
        }
        return f;
    }
}
