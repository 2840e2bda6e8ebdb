package org.poolwarden.exchange.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.ExchangeListener;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.membership.MemberState;
import org.poolwarden.exchange.wire.KeyRing;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.PacketCodec;
import org.poolwarden.exchange.wire.PoolKey;

/**
 * A few real agents on 127.0.0.1 over UDP: the same node code as in the simulator, on Netty (epoll, and one on
 * NIO to check they interoperate). Real time, so the waits poll with a deadline instead of sleeping a fixed time.
 */
class UdpLoopbackTest {
    static final int POOL = 31337;
    static final KeyRing KEYS = KeyRing.of(new PoolKey(1, "loopback-test-pool-key".getBytes(StandardCharsets.US_ASCII)));
    static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final List<UdpExchange> agents = new ArrayList<>();
    private final List<MemberEvent> events = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() {
        for (UdpExchange a : agents) {
            a.close();
        }
    }

    private UdpExchange agent(long id, List<InetSocketAddress> seeds, UdpExchange.Mode mode, KeyRing keys) throws Exception {
        ExchangeListener l = new ExchangeListener() {
            @Override
            public void onMemberEvent(MemberEvent e) {
                if (id == 1) {
                    events.add(e);
                }
            }
        };
        UdpExchange a = UdpExchange.start(ExchangeConfig.lan(), id, ANY_LOOPBACK, null, POOL, keys, seeds, l, mode);
        agents.add(a);
        return a;
    }

    static void await(String what, long millis, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + millis + " ms: " + what);
            }
            Thread.sleep(20);
        }
    }

    static int active(UdpExchange a) {
        try {
            return a.call(n -> n.activeMembers());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void realAgentsJoinShareEntriesDetectAKillAndRejectAWrongKey() throws Exception {
        UdpExchange first = agent(1, List.of(), UdpExchange.Mode.AUTO, KEYS);
        if (Epoll.isAvailable()) {
            assertEquals("epoll", first.transportName());
        }
        List<InetSocketAddress> seed = List.of(first.localAddress());
        UdpExchange second = agent(2, seed, UdpExchange.Mode.AUTO, KEYS);
        UdpExchange third = agent(3, seed, UdpExchange.Mode.NIO, KEYS);
        UdpExchange fourth = agent(4, List.of(second.localAddress()), UdpExchange.Mode.AUTO, KEYS);
        assertEquals("nio", third.transportName());
        await("all four agents see four members", 5000, () -> agents.stream().allMatch(a -> active(a) == 4));

        second.call(n -> n.publish("demand/web", "42".getBytes(StandardCharsets.UTF_8), System.nanoTime()));
        await("the entry reaches every agent", 3000, () -> agents.stream().allMatch(a -> {
            try {
                return a.call(n -> n.entry(2, "demand/web").isPresent());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }));

        // kill = close the socket without a word
        third.close();
        agents.remove(third);
        long killed = System.nanoTime();
        await("agent 3 declared failed by all survivors", 6000, () -> agents.stream().allMatch(a -> {
            try {
                return a.call(n -> n.member(3).state() == MemberState.DEAD);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }));
        long tookMs = (System.nanoTime() - killed) / 1_000_000;
        System.out.println("transport " + first.transportName() + "; killed agent declared failed by all survivors after " + tookMs + " ms");
        assertTrue(events.stream().anyMatch(e -> e.member() == 3 && e.type() == MemberEvent.Type.SUSPECT));
        assertTrue(events.stream().anyMatch(e -> e.member() == 3 && e.type() == MemberEvent.Type.FAILED), "took " + tookMs + " ms");

        // an agent with the wrong key never gets in, and is counted
        long badBefore = first.counters().get(Counter.DROP_BAD_KEY);
        UdpExchange intruder = agent(9, seed, UdpExchange.Mode.AUTO,
                KeyRing.of(new PoolKey(1, "definitely-not-the-key".getBytes(StandardCharsets.US_ASCII))));
        await("the intruder's join is rejected as bad key", 3000, () -> first.counters().get(Counter.DROP_BAD_KEY) > badBefore);
        assertNull(first.call(n -> n.member(9)));
        assertEquals(1, active(intruder));
        assertEquals(3, active(first));
    }

    @Test
    void garbageAndOversizedDatagramsAreCountedNotFatal() throws Exception {
        UdpExchange a = agent(1, List.of(), UdpExchange.Mode.AUTO, KEYS);
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            s.send(new DatagramPacket(new byte[10], 10, a.localAddress()));
            s.send(new DatagramPacket(new byte[1800], 1800, a.localAddress()));
            byte[] wrongPool = new PacketCodec(POOL + 1, KEYS, 1400, 60_000).newPacket(5, 1, System.currentTimeMillis()).finish();
            s.send(new DatagramPacket(wrongPool, wrongPool.length, a.localAddress()));
            PacketCodec.PacketBuilder b = new PacketCodec(POOL, KEYS, 1400, 60_000).newPacket(5, 1, System.currentTimeMillis());
            b.tryAdd(new Message.Entry(5, "k", 1, 0, new byte[] {7}));
            byte[] good = b.finish();
            s.send(new DatagramPacket(good, good.length, a.localAddress()));
            s.send(new DatagramPacket(good, good.length, a.localAddress()));
        }
        await("all five datagrams handled", 3000, () -> a.counters().get(Counter.PACKETS_IN) == 5);
        a.call(n -> null); // PACKETS_IN counts at the start of receive: let the loop finish the last one
        assertEquals(1, a.counters().get(Counter.DROP_TRUNCATED));
        assertEquals(1, a.counters().get(Counter.DROP_OVERSIZED));
        assertEquals(1, a.counters().get(Counter.DROP_WRONG_POOL));
        assertEquals(1, a.counters().get(Counter.DROP_REPLAY));
        assertEquals(1, a.counters().get(Counter.PACKETS_ACCEPTED));
        assertEquals(Byte.valueOf((byte) 7), a.call(n -> n.entry(5, "k").orElseThrow().value()[0]));
    }
}
