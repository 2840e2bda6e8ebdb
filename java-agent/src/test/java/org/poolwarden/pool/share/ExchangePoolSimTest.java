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
        // the partition bound: once every view counts the other side stale, each side reserves the other and the
        // side that hears no majority keeps to a fair share, so two groups overrun by at most half the partition
        // slack (the first ticks, still granted from the other side's last fresh entry, are under the 10% above)
        double bound = 100 * PipeConfig.DEFAULT_PARTITION_SLACK / 2;
        assertTrue(!Double.isNaN(r.partitionAllStaleAfterSec()), "the other side was never counted stale");
        assertTrue(r.partitionStaleOvershootWorst1sPct() <= bound, "partition overshoot once stale "
                + r.partitionStaleOvershootWorst1sPct() + "% > " + bound + "%");
        assertEquals(100.0, r.bookedMetPct(), 1e-9, "bookings met");
        assertTrue(r.jainVsOracle() >= 0.99, "Jain " + r.jainVsOracle());
        assertTrue(r.failureDetectedAfterRounds() >= 0, "the failure was detected");
        assertTrue(r.releasedEverywhereRounds() >= 0 && r.releasedEverywhereRounds() <= 4,
                "released everywhere within rounds: " + r.releasedEverywhereRounds());
    }
}
