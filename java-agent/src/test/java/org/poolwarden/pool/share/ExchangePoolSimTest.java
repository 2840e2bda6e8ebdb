package org.poolwarden.pool.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.poolwarden.pool.pipe.PipeConfig;

/** A short run of the exchange-backed pool simulation in the normal build (the full one is a benchmark). */
class ExchangePoolSimTest {

    @Test
    void smallPoolOverTheRealExchangeStaysNearTheOracle() {
        ExchangePoolSim.Result r = new ExchangePoolSim(new ExchangePoolSim.Params(8, 125_000_000L, 0.05, 12, 3, 4,
                8, 9, 1.1, 2, 0.05, 1, 1, 50_000_000L, PipeConfig.DEFAULT_REFRESH_INTERVALS)).run();
        System.out.println(r);
        assertTrue(r.overshootAvgPct() <= 2, "avg overshoot " + r.overshootAvgPct());
        assertTrue(r.overshootWorst1sPct() <= 10, "worst 1 s overshoot " + r.overshootWorst1sPct());
        assertTrue(r.utilisationSustainedPct() >= 90, "utilisation " + r.utilisationSustainedPct());
        // the partition bound: each side reserves the other, the side that hears no majority keeps to a fair
        // share, so two groups overrun by at most half the partition slack
        double bound = 100 * PipeConfig.DEFAULT_PARTITION_SLACK / 2;
        assertTrue(r.partitionOvershootWorst1sPct() <= bound, "partition overshoot " + r.partitionOvershootWorst1sPct()
                + "% > " + bound + "%");
        assertEquals(100.0, r.bookedMetPct(), 1e-9, "bookings met");
        assertTrue(r.jainVsOracle() >= 0.99, "Jain " + r.jainVsOracle());
        assertTrue(r.failureDetectedAfterRounds() >= 0, "the failure was detected");
        assertTrue(r.releasedEverywhereRounds() >= 0 && r.releasedEverywhereRounds() <= 4,
                "released everywhere within rounds: " + r.releasedEverywhereRounds());
    }
}
