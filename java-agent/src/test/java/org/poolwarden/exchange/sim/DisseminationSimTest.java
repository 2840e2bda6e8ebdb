package org.poolwarden.exchange.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.wire.Message;

class DisseminationSimTest {

    private static SimCluster converged(long seed, ExchangeConfig cfg, int n) {
        SimCluster c = new SimCluster(seed, cfg, n);
        c.startJoiningVia(1);
        c.runMillis(3000);
        assertTrue(c.converged());
        return c;
    }

    private static int holders(SimCluster c, long origin, String key, long version) {
        int n = 0;
        for (SimHost h : c.hosts()) {
            Optional<Message.Entry> e = h.node().entry(origin, key);
            if (h.isAlive() && e.isPresent() && e.get().version() >= version) {
                n++;
            }
        }
        return n;
    }

    @Test
    void anEntryReachesEveryHostFastAndTheNewestVersionWins() {
        SimCluster c = converged(11, ExchangeConfig.lan(), 32);
        SimHost origin = c.host(7);
        Message.Entry v1 = origin.node().publish("demand", new byte[] {1}, c.net.now());
        c.runMillis(20);
        Message.Entry v2 = origin.node().publish("demand", new byte[] {2}, c.net.now());
        assertTrue(v2.version() > v1.version());
        c.runMillis(250);
        assertEquals(32, holders(c, 7, "demand", v2.version()), "all 32 hosts within 270 ms");
        for (SimHost h : c.hosts()) {
            assertEquals(2, h.node().entry(7, "demand").orElseThrow().value()[0], "host " + h.node().id());
        }
        c.runMillis(5000);
        // entries must have stopped flooding: sent count settles to retransmissions only
        long sent = totalEntriesSent(c);
        c.runMillis(5000);
        long perSecondPerHost = (totalEntriesSent(c) - sent) / 5 / 32;
        assertTrue(perSecondPerHost <= 4, "settled entry traffic " + perSecondPerHost + "/s/host");
    }

    private static long totalEntriesSent(SimCluster c) {
        long s = 0;
        for (SimHost h : c.hosts()) {
            s += h.node().counters().get(Counter.ENTRIES_SENT);
        }
        return s;
    }

    @Test
    void manyOriginsAtOnceAllArrive() {
        SimCluster c = converged(12, ExchangeConfig.lan(), 16);
        for (SimHost h : c.hosts()) {
            for (int k = 0; k < 20; k++) {
                h.node().publish("app-" + k, new byte[40], c.net.now());
            }
        }
        c.runMillis(2000);
        for (SimHost h : c.hosts()) {
            assertEquals(16 * 20, h.node().entryCount(), "host " + h.node().id());
        }
    }

    @Test
    void antiEntropyRepairsAHostThatMissedAnUpdate() {
        // retransmission off, so only the digest exchange can repair
        SimCluster c = converged(13, ExchangeConfig.lan().withRetransmitMaxTicks(0), 12);
        SimHost cutOff = c.host(5);
        c.net.partition(List.of(cutOff.address()));
        Message.Entry e = c.host(2).node().publish("policy", new byte[] {9}, c.net.now());
        // 1 s, not 300 ms: when the cut-off host is a relay in the entry's tree its children get the entry by
        // announcement and pull (lazy push), a few ticks later than the tree
        c.runMillis(1000);
        assertEquals(11, holders(c, 2, "policy", e.version()));
        assertFalse(cutOff.node().entry(2, "policy").isPresent());
        c.net.heal();
        c.runMillis(300);
        assertFalse(cutOff.node().entry(2, "policy").isPresent(), "gossip is over; nothing resends it");
        c.runMillis(5000);
        assertEquals(e.version(), cutOff.node().entry(2, "policy").orElseThrow().version());
        long repaired = 0;
        for (SimHost h : c.hosts()) {
            repaired += h.node().counters().get(Counter.ENTRIES_REPAIRED);
        }
        assertTrue(repaired >= 1);
    }

    @Test
    void aJoiningHostReceivesThePoolsEntriesWithTheMemberList() {
        SimCluster c = new SimCluster(15, ExchangeConfig.lan().withAntiEntropyInterval(java.time.Duration.ofSeconds(60)), 9);
        // hosts 1..8 form the pool and publish; host 9 comes later; anti-entropy is too slow to help in this test
        for (SimHost h : c.hosts()) {
            if (h.node().id() <= 8) {
                h.start(h.node().id() == 1 ? List.of() : List.of(SimHost.addressOf(1)));
            }
        }
        c.runMillis(2000);
        for (SimHost h : c.hosts()) {
            if (h.node().id() <= 8) {
                h.node().publish("state", new byte[] {(byte) h.node().id()}, c.net.now());
            }
        }
        c.runMillis(2000);
        c.host(9).start(List.of(SimHost.addressOf(4)));
        c.runMillis(300);
        assertEquals(9, c.host(9).node().activeMembers());
        assertEquals(8, c.host(9).node().entryCount(), "all eight hosts' entries arrived with the join");
    }

    @Test
    void underTwentyPercentLossEveryHostStillGetsIt() {
        SimCluster c = converged(14, ExchangeConfig.lan(), 32);
        c.net.loss(0.20);
        Message.Entry e = c.host(1).node().publish("x", new byte[8], c.net.now());
        c.runMillis(3000);
        assertEquals(32, holders(c, 1, "x", e.version()));
    }
}
