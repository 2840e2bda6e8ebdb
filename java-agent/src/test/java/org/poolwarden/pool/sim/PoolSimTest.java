package org.poolwarden.pool.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A short pool simulation in the normal build, so regressions of the allocator in a pool show up without -Pbench. */
class PoolSimTest {

    static PoolSim.Params small(long seed) {
        // 8 hosts, 12 s: failure at 3 s (dead at 3.5 s), partition 7-8 s, 110% load
        return new PoolSim.Params(8, 125_000_000L, 50_000_000L, 0.05, 240, 2, 60, 10, 140, 160, 1.1, 2, 0.05, 3,
                seed);
    }

    @Test
    void smallPoolStaysWithinTargetsAgainstTheOracle() {
        PoolSim.Result r = new PoolSim(small(1)).run();
        assertTrue(r.overshootAvgPct() <= 2, "avg overshoot " + r.overshootAvgPct());
        assertTrue(r.overshootWorst1sPct() <= 10, "worst 1 s overshoot " + r.overshootWorst1sPct());
        assertTrue(r.utilisationSustainedPct() >= 95, "utilisation " + r.utilisationSustainedPct());
        assertTrue(r.jainVsOracle() >= 0.99, "jain " + r.jainVsOracle());
        assertEquals(100.0, r.bookedMetPct(), 1e-9);
        assertTrue(r.reconvergeRounds() >= 0 && r.reconvergeRounds() <= 2, "rounds " + r.reconvergeRounds());
        assertTrue(r.staleHostTicks() > 0, "the partition must have made peers stale");
    }

    @Test
    void sameSeedSameRun() {
        assertEquals(new PoolSim(small(5)).run(), new PoolSim(small(5)).run());
    }
}
