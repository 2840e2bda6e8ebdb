package org.poolwarden.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.wire.KeyRing;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.PacketCodec;
import org.poolwarden.exchange.wire.PoolKey;

/** Every kind of bad input at the node: counted under its own name, and the node's state does not change. */
class NodeBadInputTest {
    static final long NOW_MILLIS = 1_780_000_000_000L;
    static final int POOL = 77;
    static final PoolKey KEY = new PoolKey(3, "node-bad-input-test-key".getBytes(StandardCharsets.US_ASCII));
    static final InetSocketAddress PEER = new InetSocketAddress("127.0.0.1", 9002);

    private final List<byte[]> sent = new ArrayList<>();
    private ExchangeNode node;
    private PacketCodec peer;
    private long peerSeq = NOW_MILLIS * 1000;

    @BeforeEach
    void setUp() {
        node = new ExchangeNode(ExchangeConfig.lan(), new ExchangeNode.Identity(1, new InetSocketAddress("127.0.0.1", 9001), POOL, KeyRing.of(KEY)),
                (to, p) -> sent.add(p), () -> NOW_MILLIS, new Random(1), ExchangeListener.NONE, 0);
        peer = new PacketCodec(POOL, KeyRing.of(KEY), 1400, 60_000);
        // give the node some state: a member and an entry
        deliver(signed(NOW_MILLIS, new Message.Alive(2, 0, PEER), new Message.Entry(2, "demand", 5, 0, new byte[] {1})));
        assertEquals(2, node.activeMembers());
        assertEquals(1, node.entryCount());
    }

    private byte[] signed(long tsMillis, Message... msgs) {
        PacketCodec.PacketBuilder b = peer.newPacket(2, peerSeq++, tsMillis);
        for (Message m : msgs) {
            b.tryAdd(m);
        }
        return b.finish();
    }

    private void deliver(byte[] p) {
        node.receive(PEER, p, 0, p.length, 0);
    }

    private void assertDroppedUnchanged(Counter counter, byte[] p) {
        long before = node.stateFingerprint();
        long c = node.counters().get(counter);
        long accepted = node.counters().get(Counter.PACKETS_ACCEPTED);
        deliver(p);
        assertEquals(c + 1, node.counters().get(counter), counter.name());
        assertEquals(accepted, node.counters().get(Counter.PACKETS_ACCEPTED));
        assertEquals(before, node.stateFingerprint(), "state unchanged by " + counter);
    }

    @Test
    void eachDropReasonHasItsCounter() {
        Message.Entry newer = new Message.Entry(2, "demand", 6, 0, new byte[] {2});
        byte[] good = signed(NOW_MILLIS, newer);

        assertDroppedUnchanged(Counter.DROP_TRUNCATED, Arrays.copyOf(good, 40));
        assertDroppedUnchanged(Counter.DROP_OVERSIZED, new byte[1500]);
        byte[] magic = good.clone();
        magic[1] = 0;
        assertDroppedUnchanged(Counter.DROP_BAD_MAGIC, magic);
        byte[] version = good.clone();
        version[2] = 9;
        assertDroppedUnchanged(Counter.DROP_UNKNOWN_VERSION, version);
        PacketCodec otherPool = new PacketCodec(POOL + 1, KeyRing.of(KEY), 1400, 60_000);
        PacketCodec.PacketBuilder op = otherPool.newPacket(2, peerSeq++, NOW_MILLIS);
        op.tryAdd(newer);
        assertDroppedUnchanged(Counter.DROP_WRONG_POOL, op.finish());
        PacketCodec wrongKey = new PacketCodec(POOL, KeyRing.of(new PoolKey(3, "some-other-secret-key!".getBytes(StandardCharsets.US_ASCII))), 1400, 60_000);
        PacketCodec.PacketBuilder wk = wrongKey.newPacket(2, peerSeq++, NOW_MILLIS);
        wk.tryAdd(newer);
        assertDroppedUnchanged(Counter.DROP_BAD_KEY, wk.finish());
        assertDroppedUnchanged(Counter.DROP_CLOCK_SKEW, signed(NOW_MILLIS + 61_000, newer));
        assertDroppedUnchanged(Counter.DROP_CLOCK_SKEW, signed(NOW_MILLIS - 61_000, newer));

        deliver(good);
        assertEquals(6, node.entry(2, "demand").orElseThrow().version(), "the good packet itself is used");
        assertDroppedUnchanged(Counter.DROP_REPLAY, good);

        PacketCodec.PacketBuilder self = peer.newPacket(1, peerSeq++, NOW_MILLIS);
        self.tryAdd(new Message.Entry(2, "demand", 99, 0, new byte[0]));
        assertDroppedUnchanged(Counter.DROP_FROM_SELF, self.finish());

        byte[] unknown = org.poolwarden.exchange.wire.DecoderFuzzTestAccess.withUnknownRecord(
                signed(NOW_MILLIS, new Message.Entry(2, "demand", 7, 0, new byte[] {3})), KEY);
        deliver(unknown);
        assertEquals(1, node.counters().get(Counter.SKIPPED_UNKNOWN_RECORD));
        assertEquals(7, node.entry(2, "demand").orElseThrow().version(), "the rest of the packet is used");

        Map<Counter, Long> snap = node.counters().snapshot();
        assertEquals(10, node.counters().droppedPackets());
        assertEquals(Counter.values().length, snap.size(), "the snapshot holds every counter");
    }

    @Test
    void publishRejectsWhatTheWireCannotCarry() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> node.publish("k", new byte[1025], 0));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> node.publish("x".repeat(65), new byte[1], 0));
        assertEquals(1, node.entryCount(), "nothing stored");
        node.publish("k", new byte[1024], 0);
        assertEquals(2, node.entryCount());
    }

    @Test
    void twoHundredThousandGarbageAndMutatedPacketsChangeNothing() {
        Random r = new Random(99);
        List<byte[]> corpus = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            corpus.add(signed(NOW_MILLIS, new Message.Entry(2, "k" + i, 100 + i, 3, new byte[r.nextInt(200)]),
                    new Message.Suspect(1, 5, 2), new Message.Dead(2, 9, 2), new Message.Alive(3, 1, PEER)));
        }
        for (byte[] c : corpus) {
            deliver(c); // accepted once; an unmutated copy later is a replay
        }
        long before = node.stateFingerprint();
        long in = node.counters().get(Counter.PACKETS_IN);
        long accepted = node.counters().get(Counter.PACKETS_ACCEPTED);
        int packets = 200_000;
        for (int i = 0; i < packets; i++) {
            byte[] p;
            if (i % 4 == 0) {
                p = new byte[r.nextInt(1500)];
                r.nextBytes(p);
            } else {
                p = org.poolwarden.exchange.wire.DecoderFuzzTestAccess.mutate(corpus.get(r.nextInt(corpus.size())), r);
            }
            deliver(p);
        }
        assertEquals(in + packets, node.counters().get(Counter.PACKETS_IN));
        assertEquals(before, node.stateFingerprint(), "no unauthenticated packet changed membership or entries");
        assertEquals(accepted, node.counters().get(Counter.PACKETS_ACCEPTED), "nothing accepted");
        assertTrue(node.counters().get(Counter.DROP_BAD_KEY) > packets / 2);
    }
}
