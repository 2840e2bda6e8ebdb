package org.poolwarden.pool.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.poolwarden.pool.pipe.ClassRate;
import org.poolwarden.pool.pipe.HostClassSplitter;
import org.poolwarden.pool.pipe.HostGrant;
import org.poolwarden.pool.pipe.PeerPipeState;
import org.poolwarden.pool.pipe.PipeAllocation;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.pipe.SharedPipeAllocator;

/**
 * Pool simulation against the max-min oracle for 16 and 128 hosts on a 1 Gbit/s pipe, plus CPU time of one fast
 * tick for 500 apps x 16 pipes. Writes target/bench/allocator.json. Run with {@code mvn -Pbench verify}.
 */
@Tag("bench")
class AllocatorBench {

    static final long GBIT = 125_000_000L; // bytes per second
    static final long TICK = 50_000_000L;

    static PoolSim.Params params(int hosts, double load, int eventCopies, long seed) {
        int ticks = 60 * 20; // 60 s
        return new PoolSim.Params(hosts, GBIT, TICK, 0.05, ticks,
                2, 15 * 20, 20,       // host 2 (booked) fails at 15 s, declared dead 1 s later
                35 * 20, 37 * 20,     // 2 s partition into two halves
                load, 4, 0.05,        // 4 hosts book 5% each
                eventCopies, seed);
    }

    @Test
    void simulateAndMeasure() throws IOException {
        List<String> runs = new ArrayList<>();
        List<PoolSim.Result> results = new ArrayList<>();
        // -Dpw.bench.cpuOnly=true: only the CPU measurement (when working on it)
        boolean sims = !Boolean.getBoolean("pw.bench.cpuOnly");
        PoolSim.Result single = null;
        if (sims) {
            for (long seed : new long[] {42, 7, 2026}) {
                for (int hosts : new int[] {16, 128}) {
                    for (double load : new double[] {0.7, 1.1}) {
                        long t0 = System.nanoTime();
                        PoolSim.Result r = new PoolSim(params(hosts, load, 3, seed)).run();
                        results.add(r);
                        runs.add(json(r, System.nanoTime() - t0));
                    }
                }
            }
            // Pessimistic dissemination of the failure event: one copy per host per round instead of three.
            long t1 = System.nanoTime();
            single = new PoolSim(params(128, 1.1, 1, 42)).run();
            runs.add(json(single, System.nanoTime() - t1));
        }
        BenchJson.Cpu cpu = measureCpu(true);
        BenchJson.Cpu allocateOnly = measureCpu(false);
        BenchJson.write("allocator", "1 Gbit/s pipe, 50 ms tick = 1 exchange round, 5% independent loss per "
                + "delivery, host 2 fails at 15 s (declared dead 1 s later; the event reaches each host unless all "
                + "its copies are lost, 3 copies like memberlist's gossip fan-out, 1 in the pessimistic run), 2 s "
                + "two-way partition at 35 s, on/off + Pareto(1.5) demand at 70% or 110% mean offered load, 4 hosts "
                + "book 5% each, 60 s, seeds 42, 7, 2026 (pessimistic run: 42); cpu = allocation and split of one "
                + "host's grant over its app classes, allocateOnly = the allocation alone",
                BenchJson.map("overshootAvgPct", 2, "overshootWorst1sPct", 10, "utilisationSustainedPct", 95,
                        "jainVsOracle", 0.99, "bookedMetPct", 100, "reconvergeRounds", 2,
                        "cpuMicrosPerAllocation", 1000),
                runs, BenchJson.map("cpu", cpu.json(), "allocateOnly", allocateOnly.json()));
        // The targets, on the metrics defined in PoolSim (the JSON above is written first either way).
        for (PoolSim.Result r : results) {
            String run = r.params().hosts() + " hosts, load " + r.params().load() + ": ";
            assertTrue(r.params().load() < 1 || r.sustainedTicks() > 0, run + "the scenario must contain congestion");
            assertTrue(r.overshootAvgPct() <= 2, run + "average overshoot " + r.overshootAvgPct());
            assertTrue(r.overshootWorst1sPct() <= 10, run + "worst 1 s overshoot " + r.overshootWorst1sPct());
            if (r.params().load() > 1) {
                assertTrue(r.utilisationSustainedPct() >= 95, run + "utilisation " + r.utilisationSustainedPct());
            }
            assertTrue(r.jainVsOracle() >= 0.99, run + "Jain " + r.jainVsOracle());
            assertTrue(r.bookedMetPct() >= 100, run + "booked met " + r.bookedMetPct());
            assertTrue(r.reconvergeRounds() >= 0 && r.reconvergeRounds() <= 2, run + "re-convergence "
                    + r.reconvergeRounds());
        }
        assertTrue(single == null || single.reconvergeRounds() >= 0, "the pessimistic run must re-converge at all");
        assertTrue(cpu.p99Micros() > 0 && cpu.p99Micros() <= 1000, "cpu p99 " + cpu.p99Micros());
    }

    static String json(PoolSim.Result r, long wallNanos) {
        return BenchJson.run(r, BenchJson.map("hosts", r.params().hosts(), "load", r.params().load(),
                "failureEventCopies", r.params().eventCopies(), "seed", r.params().seed(),
                "simWallSeconds", wallNanos / 1e9));
    }

    /**
     * One fast tick of one host: for each of 16 pipes, the pool allocation over 128 hosts' entries and (with
     * {@code split}) the split of this host's grant over 500 app classes (8000 HTB rates). Thread CPU time, after
     * warm-up.
     */
    static BenchJson.Cpu measureCpu(boolean split) {
        int apps = 500;
        int pipes = 16;
        int peers = 128;
        SplittableRandom r = new SplittableRandom(7);
        PipeConfig[] cfg = new PipeConfig[pipes];
        List<List<PeerPipeState>> views = new ArrayList<>();
        // per pipe, the classes as the coordinator holds them: ids, booked and unbooked bytes in parallel arrays
        String[][] ids = new String[pipes][apps];
        long[][] booked = new long[pipes][apps];
        long[][] unbooked = new long[pipes][apps];
        for (int p = 0; p < pipes; p++) {
            cfg[p] = PipeConfig.of("p" + p, GBIT);
            double q = cfg[p].bytesPerInterval();
            List<PeerPipeState> v = new ArrayList<>();
            for (int h = 0; h < peers; h++) {
                v.add(new PeerPipeState(String.format("h%03d", h), r.nextDouble() * 0.002 * q,
                        r.nextDouble() * 0.02 * q, 1 + r.nextInt(8), 1000 - r.nextInt(4),
                        org.poolwarden.pool.pipe.Liveness.ALIVE));
            }
            views.add(v);
            for (int a = 0; a < apps; a++) {
                ids[p][a] = "app" + a;
                booked[p][a] = r.nextInt(2000);
                unbooked[p][a] = r.nextInt(100_000);
            }
        }
        // the simulations before leave a heap full of garbage: collect it now, or concurrent marking charges its
        // barrier work to the measured thread (p99 of 4.7 ms instead of 0.6 ms seen after the 128-host runs)
        System.gc();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long sink = 0;
        int warm = 3000;
        int iters = 5000;
        double[] micros = new double[iters];
        for (int i = 0; i < warm + iters; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            for (int p = 0; p < pipes; p++) {
                PipeAllocation a = SharedPipeAllocator.compute(cfg[p], 1000 + (i & 1), views.get(p));
                HostGrant g = a.grant("h000").orElseThrow();
                if (split) {
                    List<ClassRate> rates = HostClassSplitter.split(cfg[p], g, g.creditBytes(), ids[p], booked[p],
                            unbooked[p], apps);
                    sink += rates.get(i % apps).ceilBytesPerSec();
                } else {
                    sink += g.creditBytes();
                }
            }
            long c1 = mx.getCurrentThreadCpuTime();
            if (i >= warm) {
                micros[i - warm] = (c1 - c0) / 1e3;
            }
        }
        assertTrue(sink > 0);
        return BenchJson.Cpu.of(BenchJson.map("apps", apps, "pipes", pipes, "peersPerPipe", peers, "split", split),
                micros);
    }
}
