package org.poolwarden.exchange.dissemination;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.wire.KeyRing;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.PacketCodec;
import org.poolwarden.exchange.wire.PoolKey;

class EntryStoreTest {
    static final long TICK = 50_000_000L;
    static final PacketCodec CODEC = new PacketCodec(1, KeyRing.of(new PoolKey(1, new byte[16])), 1400, 60_000);
    static final long SELF = 100;

    static Message.Entry e(long origin, String key, long version, int ttl, int valueBytes) {
        return new Message.Entry(origin, key, version, ttl, new byte[valueBytes]);
    }

    /** Drains one packet's worth of hot entries. */
    static List<Message.Entry> packet(EntryStore s, long now, Random r) {
        PacketCodec.PacketBuilder b = CODEC.newPacket(SELF, 1, 0);
        s.fill(b, now, TICK, 64, r);
        byte[] bytes = b.finish();
        List<Message.Entry> out = new ArrayList<>();
        for (Message m : CODEC.decode(bytes, 0, bytes.length, 0).packet().messages()) {
            out.add((Message.Entry) m);
        }
        return out;
    }

    /** Drains one packet's worth of hot entries addressed to {@code peer}. */
    static List<Message.Entry> packetTo(EntryStore s, long peer, Random r) {
        PacketCodec.PacketBuilder b = CODEC.newPacket(SELF, 1, 0);
        s.fill(b, peer, 0, TICK, 64, r);
        if (b.isEmpty()) {
            return List.of();
        }
        byte[] bytes = b.finish();
        List<Message.Entry> out = new ArrayList<>();
        for (Message m : CODEC.decode(bytes, 0, bytes.length, 0).packet().messages()) {
            out.add((Message.Entry) m);
        }
        return out;
    }

    @Test
    void anEntryIsNeverSentBackToThePeerItCameFromNorTwiceToOnePeer() {
        EntryStore s = new EntryStore(SELF);
        s.apply(e(1, "k", 7, 5, 1), 6, 42, Integer.MAX_VALUE);
        Random r = new Random(1);
        assertEquals(List.of(), packetTo(s, 42, r), "peer 42 sent it to us");
        assertEquals(1, s.heldSkips());
        assertEquals(1, packetTo(s, 43, r).size());
        assertEquals(List.of(), packetTo(s, 43, r), "43 got it from us already");
        assertEquals(1, packetTo(s, 44, r).size());
        // skips use up transmits too: 6 in all = 2 skips + 2 sends + 2 more sends
        assertEquals(1, packetTo(s, 45, r).size());
        assertEquals(1, packetTo(s, 46, r).size());
        assertFalse(s.hasHot());
        assertEquals(2, s.heldSkips());
        // a newer version is news to everyone again, except to the one it came from
        s.apply(e(1, "k", 8, 5, 1), 6, 43, Integer.MAX_VALUE);
        assertEquals(List.of(), packetTo(s, 43, r));
        assertEquals(8, packetTo(s, 42, r).get(0).version());
    }

    @Test
    void aCopyOfTheSameVersionHeardFromAnotherPeerCountsAsHeldByIt() {
        EntryStore s = new EntryStore(SELF);
        s.apply(e(1, "k", 7, 5, 1), 10, 42, Integer.MAX_VALUE);
        assertEquals(EntryStore.Applied.SAME, s.apply(e(1, "k", 7, 5, 1), 10, 50, Integer.MAX_VALUE));
        assertEquals(List.of(), packetTo(s, 50, new Random(1)));
    }

    @Test
    void duplicatesTrimRelayingOnlyAfterTheFirstRound() {
        Random r = new Random(1);
        EntryStore s = new EntryStore(SELF);
        s.apply(e(1, "k", 7, 5, 1), 12, 42, 4);
        for (int i = 0; i < 5; i++) {
            s.apply(e(1, "k", 7, 5, 1), 12, 42, 4); // early duplicates: the first round is kept whole
        }
        assertEquals(0, s.duplicateCredits());
        int sent = 0;
        for (int p = 0; p < 4; p++) {
            sent += packetTo(s, 100 + p, r).size();
        }
        assertEquals(4, sent);
        for (int i = 0; i < 5; i++) {
            s.apply(e(1, "k", 7, 5, 1), 12, 42, 4); // after it: each one gives up one transmit
        }
        assertEquals(5, s.duplicateCredits());
        for (int p = 0; p < 20; p++) {
            sent += packetTo(s, 200 + p, r).size();
        }
        assertEquals(12 - 5, sent, "12 transmits, 5 given up to feedback");
        assertFalse(s.hasHot());
    }

    @Test
    void ownEntriesAreNotTrimmedByTheirEchoes() {
        EntryStore s = new EntryStore(SELF);
        s.publish("mine", new byte[1], 3, 5, 4);
        for (int i = 0; i < 10; i++) {
            s.apply(e(SELF, "mine", 3, 5, 1), 4, 42, 0);
        }
        assertEquals(0, s.duplicateCredits());
        int sent = 0;
        for (int p = 0; p < 10; p++) {
            sent += packetTo(s, 100 + p, new Random(p)).size();
        }
        assertEquals(4, sent);
    }

    @Test
    void newestVersionWins() {
        EntryStore s = new EntryStore(SELF);
        assertEquals(EntryStore.Applied.NEWER, s.apply(e(1, "k", 5, 3, 1), 2));
        assertEquals(EntryStore.Applied.SAME, s.apply(e(1, "k", 5, 3, 1), 2));
        assertEquals(EntryStore.Applied.STALE, s.apply(e(1, "k", 4, 3, 1), 2));
        assertEquals(5, s.get(1, "k").orElseThrow().version());
        assertEquals(EntryStore.Applied.NEWER, s.apply(e(1, "k", 9, 3, 1), 2));
        assertEquals(9, s.get(1, "k").orElseThrow().version());
        assertEquals(1, s.size());
    }

    @Test
    void relayDecrementsTtlAndStopsAtZero() {
        EntryStore s = new EntryStore(SELF);
        s.apply(e(1, "relay", 1, 2, 1), 3);
        s.apply(e(1, "last-hop", 1, 0, 1), 3);
        List<Message.Entry> p = packet(s, 0, new Random(1));
        assertEquals(1, p.size(), "a TTL 0 entry is stored but not relayed");
        assertEquals("relay", p.get(0).key());
        assertEquals(1, p.get(0).ttl());
        assertTrue(s.get(1, "last-hop").isPresent());
    }

    @Test
    void eachEntryIsSentExactlyItsTransmitLimit() {
        EntryStore s = new EntryStore(SELF);
        s.apply(e(1, "k", 1, 5, 1), 3);
        int sent = 0;
        for (int i = 0; i < 10; i++) {
            sent += packet(s, 0, new Random(1)).size();
        }
        assertEquals(3, sent);
        assertFalse(s.hasHot());
    }

    @Test
    void roundRobinAcrossOriginsSoNoOriginStarves() {
        EntryStore s = new EntryStore(SELF);
        for (int i = 0; i < 200; i++) {
            s.apply(e(1, "busy-" + i, 1, 5, 100), 1);
        }
        s.apply(e(2, "quiet", 1, 5, 100), 1);
        s.apply(e(3, "quiet", 1, 5, 100), 1);
        List<Message.Entry> first = packet(s, 0, new Random(1));
        assertTrue(first.size() < 200, "not everything fits one packet");
        assertTrue(first.stream().anyMatch(x -> x.origin() == 2), "origin 2 is in the first packet");
        assertTrue(first.stream().anyMatch(x -> x.origin() == 3), "origin 3 is in the first packet");
    }

    @Property(tries = 50)
    void everyHotEntryIsEventuallySentAndNothingTwiceInAPacket(@ForAll @IntRange(min = 1, max = 30) int origins,
                                                              @ForAll @IntRange(min = 1, max = 40) int perOrigin) {
        EntryStore s = new EntryStore(SELF);
        for (int o = 0; o < origins; o++) {
            for (int k = 0; k < perOrigin; k++) {
                s.apply(e(o + 1, "k" + k, 1, 5, 60), 1);
            }
        }
        int total = 0;
        for (int i = 0; i < 1000 && s.hasHot(); i++) {
            List<Message.Entry> p = packet(s, 0, new Random(i));
            assertEquals(p.size(), p.stream().map(x -> x.origin() + "/" + x.key()).distinct().count());
            total += p.size();
        }
        assertEquals(origins * perOrigin, total);
    }

    @Test
    void ownEntriesAreRetransmittedWithRandomizedExponentialBackoff() {
        EntryStore s = new EntryStore(SELF);
        Random r = new Random(3);
        s.publish("mine", "v".getBytes(StandardCharsets.UTF_8), 10, 8, 1);
        long now = 0;
        assertEquals(1, packet(s, now, r).size());
        List<Long> gaps = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            long due = s.nextRetransmitNanos();
            assertTrue(due > now && due != Long.MAX_VALUE);
            gaps.add((due - now) / TICK);
            assertEquals(0, s.retransmitDue(due - 1, 1, 8), "not before it is due");
            now = due;
            assertEquals(1, s.retransmitDue(now, 1, 8));
            List<Message.Entry> p = packet(s, now, r);
            assertEquals(1, p.size());
            assertEquals(8, p.get(0).ttl(), "a retransmission goes out with the full TTL");
        }
        int range = 1;
        for (long g : gaps) {
            assertTrue(g >= 1 && g <= range, "gap " + g + " ticks within 1.." + range + " " + gaps);
            range = Math.min(64, range * 2);
        }
        s.publish("mine", new byte[1], 11, 8, 1);
        packet(s, now, r);
        assertEquals(now + TICK, s.nextRetransmitNanos(), "a new version resets the back-off");
    }

    @Test
    void digestsDetectDifferences() {
        EntryStore a = new EntryStore(1);
        EntryStore b = new EntryStore(2);
        a.apply(e(9, "x", 3, 0, 1), 1);
        a.apply(e(9, "y", 4, 0, 1), 1);
        b.apply(e(9, "x", 3, 0, 1), 1);
        assertFalse(b.sameAs(a.digest(9, true)));
        assertEquals(1, a.entriesNewerThan(9, b.maxVersion(9)).size());
        b.apply(e(9, "y", 4, 0, 1), 1);
        assertTrue(b.sameAs(a.digest(9, true)));
        // same max version, different other key: hash differs
        a.apply(e(9, "z", 1, 0, 1), 1);
        b.apply(e(9, "w", 1, 0, 1), 1);
        assertFalse(b.sameAs(a.digest(9, true)));
        assertTrue(new EntryStore(3).sameAs(new EntryStore(4).digest(9, true)), "empty equals empty");
        a.removeOrigin(9);
        assertEquals(0, a.size());
    }

    @Test
    void byIdFindsTheHeldVersionOnlyAndAnnouncementsBackOff() {
        EntryStore s = new EntryStore(SELF);
        Message.Entry e = new Message.Entry(9, "k", 5_000_000_123L, 3, new byte[] {1});
        s.apply(e, 0);
        assertEquals(e.withTtl(2), s.byId(Message.EntryId.of(e)).orElseThrow(), "held, with its relay TTL");
        assertTrue(s.byId(new Message.EntryId(9, (int) 5_000_000_124L)).isEmpty(), "another version");
        assertTrue(s.byId(new Message.EntryId(8, (int) 5_000_000_123L)).isEmpty(), "another origin");
        s.apply(new Message.Entry(9, "k", 5_000_000_200L, 3, new byte[] {2}), 0);
        assertTrue(s.byId(Message.EntryId.of(e)).isEmpty(), "superseded: no longer served");

        long tick = 50_000_000L;
        Message.Entry own = s.publish("mine", new byte[] {7}, 100, 8, 0);
        s.armRetransmit("mine", 0, tick, 4);
        Random r = new Random(1);
        assertTrue(s.dueAnnouncements(3 * tick, tick, 64, r).isEmpty(), "not before the first delay");
        List<Long> at = new ArrayList<>();
        for (long t = 4 * tick; t <= 400 * tick; t += tick) {
            List<Message.Entry> due = s.dueAnnouncements(t, tick, 8, r);
            if (!due.isEmpty()) {
                assertEquals(List.of(own), due);
                at.add(t / tick);
            }
        }
        assertEquals(4L, at.get(0));
        for (int i = 1; i < at.size(); i++) {
            long gap = at.get(i) - at.get(i - 1);
            assertTrue(gap >= 1 && gap <= 8, "back-off capped at 8 ticks: " + at);
        }
        assertTrue(at.size() < 400 / 2, "backed off: " + at.size() + " announcements in 400 ticks");
    }
}
