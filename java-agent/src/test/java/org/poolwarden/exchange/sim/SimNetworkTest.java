package org.poolwarden.exchange.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.transport.Transport;

class SimNetworkTest {
    private static final InetSocketAddress A = SimHost.addressOf(1);
    private static final InetSocketAddress B = SimHost.addressOf(2);

    @Test
    void deliversAfterLatencyInTimeOrder() {
        SimNetwork net = new SimNetwork(1).latency(1_000_000, 0);
        List<Long> arrivals = new ArrayList<>();
        net.attach(B, (from, p) -> {
            assertEquals(A, from);
            arrivals.add(net.now());
        });
        Transport t = net.transportFor(A);
        t.send(B, new byte[1]);
        net.runFor(500_000);
        t.send(B, new byte[1]);
        net.runFor(10_000_000);
        assertEquals(List.of(1_000_000L, 1_500_000L), arrivals);
        assertEquals(2, net.packetsSent());
    }

    @Test
    void lossDropsTheConfiguredFraction() {
        SimNetwork net = new SimNetwork(2).loss(0.05);
        int[] got = {0};
        net.attach(B, (from, p) -> got[0]++);
        for (int i = 0; i < 20_000; i++) {
            net.transportFor(A).send(B, new byte[1]);
        }
        net.runFor(1_000_000_000L);
        double lossRate = 1 - got[0] / 20_000.0;
        assertTrue(lossRate > 0.04 && lossRate < 0.06, "loss " + lossRate);
        assertEquals(20_000 - got[0], net.packetsLost());
    }

    @Test
    void partitionsCutBothWaysUntilHealed() {
        SimNetwork net = new SimNetwork(3);
        int[] got = {0, 0};
        net.attach(A, (from, p) -> got[0]++);
        net.attach(B, (from, p) -> got[1]++);
        net.partition(Set.of(A));
        net.transportFor(A).send(B, new byte[1]);
        net.transportFor(B).send(A, new byte[1]);
        net.runFor(10_000_000);
        assertEquals(0, got[0] + got[1]);
        assertEquals(2, net.packetsPartitioned());
        net.heal();
        net.transportFor(A).send(B, new byte[1]);
        net.runFor(10_000_000);
        assertEquals(1, got[1]);
    }

    @Test
    void sameSeedSameRun() {
        assertEquals(trace(42), trace(42));
        assertTrue(!trace(42).equals(trace(43)));
    }

    private static List<Long> trace(long seed) {
        SimCluster c = new SimCluster(seed, org.poolwarden.exchange.ExchangeConfig.lan(), 8);
        c.startJoiningVia(1);
        c.runMillis(3000);
        List<Long> t = new ArrayList<>();
        for (SimHost h : c.hosts()) {
            t.add(h.node().counters().get(org.poolwarden.exchange.ExchangeCounters.Counter.BYTES_OUT));
        }
        t.add(c.net.packetsSent());
        return t;
    }
}
