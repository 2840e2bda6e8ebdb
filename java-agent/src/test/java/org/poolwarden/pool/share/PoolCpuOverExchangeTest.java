package org.poolwarden.pool.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.pool.cpu.CpuAllocation;
import org.poolwarden.pool.policy.PolicyCatalog;
import org.poolwarden.pool.share.ShareCounters.Counter;

/** Pool CPU policies over the exchange: the same caps on every host, rescaled by priority when a host fails. */
class PoolCpuOverExchangeTest {

    static final Map<Integer, Map<String, Integer>> RUNS = Map.of(
            1, Map.of("web", 1),
            2, Map.of("web", 1, "batch", 1),
            3, Map.of("batch", 2));

    static void cpu(SharePool p, int h) {
        p.coordinator(h).withCpu(now -> new HostCpuEntry(4.0, new TreeMap<>(RUNS.get(h))));
    }

    static double placed(SharePool p, int h, String app) {
        return p.coordinator(h).cpuAllocation().orElseThrow().placed(app);
    }

    @Test
    void policiesAreRescaledByPriorityWhenAHostFailsAndRestoredWhenItReturns() {
        SharePool p = new SharePool(21, 3, ExchangeConfig.lan(), PipeShareCoordinatorTest.TICK,
                h -> List.of(PipeShareCoordinatorTest.pipeOf(h)), false).start();
        for (int h = 1; h <= 3; h++) {
            cpu(p, h);
        }
        p.coordinator(2).setPolicy("cpu/web", PolicyCatalog.body(50, 2));   // 6 of 12 cores
        p.coordinator(3).setPolicy("cpu/batch", PolicyCatalog.body(40, 1)); // 4.8 of 12 cores
        p.runMillis(2000);
        for (int h = 1; h <= 3; h++) {
            CpuAllocation a = p.coordinator(h).cpuAllocation().orElseThrow();
            assertEquals(p.coordinator(1).cpuAllocation().orElseThrow(), a, "host " + h + " computes the same");
            assertEquals(6.0, a.placed("web"), 1e-9);
            assertEquals(4.8, a.placed("batch"), 1e-9);
            assertTrue(a.insufficient().isEmpty());
        }
        p.kill(3);
        long released = -1;
        for (int i = 0; i < 2000 && released < 0; i++) {
            p.runMillis(5);
            if (p.coordinator(1).counters().get(Counter.MEMBER_RELEASED) > 0) {
                released = p.now();
            }
        }
        assertTrue(released > 0, "membership declared host 3 failed");
        p.runMillis(PipeShareCoordinatorTest.TICK / 1_000_000); // one round
        for (int h = 1; h <= 2; h++) {
            CpuAllocation a = p.coordinator(h).cpuAllocation().orElseThrow();
            assertEquals(12.0, a.nominalCores(), 1e-9, "percentages keep their meaning");
            assertEquals(8.0, a.liveCores(), 1e-9, "host " + h + " rescaled within one round of the event");
            assertEquals(6.0, a.placed("web"), 1e-9, "the higher priority keeps its amount");
            assertEquals(1.0, a.placed("batch"), 1e-9, "batch gets what is left where it runs (host 2)");
            assertTrue(a.insufficient().stream().anyMatch(x -> x.id().equals("batch")), "insufficient: batch");
            assertTrue(p.coordinator(h).counters().get(Counter.BOOKING_SHORT) > 0);
        }
        p.restart(3, 1);
        cpu(p, 3);
        p.runMillis(3000);
        for (int h = 1; h <= 3; h++) {
            assertEquals(4.8, placed(p, h, "batch"), 1e-9, "restored on host " + h);
            assertEquals(6.0, placed(p, h, "web"), 1e-9);
        }
        assertTrue(p.coordinator(1).counters().get(Counter.BOOKING_RESTORED) > 0);
    }

    @Test
    void absurdCoresFromAPeerAreNotUsed() {
        SharePool p = new SharePool(22, 3, ExchangeConfig.lan(), PipeShareCoordinatorTest.TICK,
                h -> List.of(PipeShareCoordinatorTest.pipeOf(h)), false).start();
        cpu(p, 1);
        cpu(p, 2);
        p.coordinator(2).setPolicy("cpu/web", PolicyCatalog.body(50, 2));
        // host 3's node publishes impossible capacities (no coordinator CPU source there)
        for (double cores : new double[] {Double.NaN, -4, 1e12, 0}) {
            p.host(3).node().publish(ShareValueType.HOST_CPU_KEY,
                    ShareCodec.encodeHostCpu(new HostCpuEntry(cores, new TreeMap<>(Map.of("web", 5)))), p.now());
            p.runMillis(300);
            CpuAllocation a = p.coordinator(1).cpuAllocation().orElseThrow();
            assertEquals(8.0, a.nominalCores(), 1e-9, "only hosts 1 and 2 count, cores=" + cores);
            assertEquals(4.0, a.placed("web"), 1e-9);
        }
        assertTrue(p.coordinator(1).counters().get(Counter.CPU_IGNORED) >= 4);
    }
}
