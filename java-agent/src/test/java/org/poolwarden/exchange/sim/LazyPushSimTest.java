package org.poolwarden.exchange.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters.Counter;
import org.poolwarden.exchange.wire.Message;

/** Eager tree plus lazy announcements and pulls (LAN profile): each host gets each entry about once, loss is repaired. */
class LazyPushSimTest {

    private static long sum(SimCluster c, Counter k) {
        long s = 0;
        for (SimHost h : c.hosts()) {
            s += h.node().counters().get(k);
        }
        return s;
    }

    private static int missing(SimCluster c, SimHost origin, Message.Entry e) {
        int miss = 0;
        for (SimHost h : c.hosts()) {
            Optional<Message.Entry> x = h.node().entry(origin.node().id(), e.key());
            if (h.isAlive() && (x.isEmpty() || x.get().version() < e.version())) {
                miss++;
            }
        }
        return miss;
    }

    @Test
    void withoutLossEveryHostReceivesEachEntryOnceWithinTheTreeDepth() {
        int n = 64;
        SimCluster c = new SimCluster(71, ExchangeConfig.lan(), n);
        c.startSeeded();
        c.runMillis(3000);
        Random r = new Random(1);
        long sent0 = sum(c, Counter.ENTRIES_SENT);
        long stale0 = sum(c, Counter.ENTRIES_STALE);
        for (int t = 0; t < 20; t++) {
            SimHost o = c.host(1 + r.nextInt(n));
            Message.Entry e = o.node().publish("k", new byte[] {(byte) t}, c.net.now());
            // depth 2 at 64 hosts with 8 children: two hops of at most one 50 ms tick each, plus the origin's tick
            c.runMillis(160);
            assertEquals(0, missing(c, o, e), "trial " + t);
            c.runMillis(200);
        }
        long sent = sum(c, Counter.ENTRIES_SENT) - sent0;
        long stale = sum(c, Counter.ENTRIES_STALE) - stale0;
        // the floor is 20 x 63 = 1260 full copies; rumor push sent ~10x that
        assertTrue(sent <= 20 * 63 + 20, "full entries sent " + sent);
        assertTrue(stale <= 20, "duplicate copies received " + stale);
    }

    @Test
    void withFivePercentLossPullsRepairEveryHostWithinASecond() {
        int n = 64;
        SimCluster c = new SimCluster(72, ExchangeConfig.lan(), n);
        c.startSeeded();
        c.runMillis(3000);
        c.net.loss(0.05);
        Random r = new Random(2);
        for (int t = 0; t < 30; t++) {
            SimHost o = c.host(1 + r.nextInt(n));
            Message.Entry e = o.node().publish("k", new byte[] {(byte) t}, c.net.now());
            c.runMillis(1000);
            assertEquals(0, missing(c, o, e), "trial " + t);
        }
        assertTrue(sum(c, Counter.IWANT_IDS_SENT) > 0, "some copies were lost and pulled");
        assertTrue(sum(c, Counter.ENTRIES_PULL_SERVED) > 0);
    }
    @Test
    void withFivePercentLossALostCopyIsRepairedFromTheParentsEchoWithinTheTailBudget() {
        // the repair path: parent's echo (twice), a pull in the reply to it, the pulled entry relayed at once, up to
        // 6 pull tries; before, a lost copy took 2-5 ticks per hop and a lost echo left a host to anti-entropy
        int n = 64;
        SimCluster c = new SimCluster(73, ExchangeConfig.lan(), n);
        c.net.latency(200_000, 300_000);
        c.startSeeded();
        c.runMillis(3000);
        c.net.loss(0.05);
        Random r = new Random(3);
        long abandoned0 = sum(c, Counter.PULLS_ABANDONED);
        for (int t = 0; t < 40; t++) {
            SimHost o = c.host(1 + r.nextInt(n));
            Message.Entry e = o.node().publish("k", new byte[] {(byte) t}, c.net.now());
            c.runMillis(400);
            assertEquals(0, missing(c, o, e), "trial " + t);
            c.runMillis(100 + r.nextInt(200));
        }
        assertTrue(sum(c, Counter.IWANT_IDS_AT_ONCE) > 0, "lost copies pulled on the parent's echo");
        assertTrue(sum(c, Counter.PULLED_RELAYED_AT_ONCE) > 0, "pulled entries relayed without waiting for a tick");
        assertEquals(0, sum(c, Counter.PULLS_ABANDONED) - abandoned0, "no repair left to anti-entropy");
    }
}
