package org.poolwarden.exchange.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeCounters.Counter;

class SimHostTest {
    @Test
    void aPausedHostRunsNothingThenProcessesItsBufferAndDetectsTheStall() {
        SimCluster c = new SimCluster(5, ExchangeConfig.lan(), 4);
        c.startJoiningVia(1);
        c.runMillis(2000);
        SimHost h = c.host(3);
        long ticks = h.node().counters().get(Counter.TICKS);
        long in = h.node().counters().get(Counter.PACKETS_IN);
        h.pause(1_000_000_000L);
        c.runMillis(900);
        assertTrue(h.isPaused());
        assertEquals(ticks, h.node().counters().get(Counter.TICKS), "no tick while paused");
        assertEquals(in, h.node().counters().get(Counter.PACKETS_IN), "no packet processed while paused");
        c.runMillis(200);
        assertFalse(h.isPaused());
        assertTrue(h.node().counters().get(Counter.PACKETS_IN) > in, "buffered packets processed on resume");
        assertEquals(1, h.node().counters().get(Counter.PAUSES_DETECTED));
    }

    @Test
    void aKilledHostIsGone() {
        SimCluster c = new SimCluster(6, ExchangeConfig.lan(), 3);
        c.startJoiningVia(1);
        c.runMillis(2000);
        c.host(2).kill();
        long out = c.host(2).node().counters().get(Counter.PACKETS_OUT);
        c.runMillis(2000);
        assertEquals(out, c.host(2).node().counters().get(Counter.PACKETS_OUT));
        assertTrue(c.net.packetsUndeliverable() > 0);
    }
}
