package org.poolwarden.pool.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.poolwarden.pool.pipe.AppClassDemand;
import org.poolwarden.pool.pipe.ClassRate;
import org.poolwarden.pool.pipe.HostClassSplitter;
import org.poolwarden.pool.pipe.HostGrant;
import org.poolwarden.pool.pipe.Liveness;
import org.poolwarden.pool.pipe.OverdraftLedger;
import org.poolwarden.pool.pipe.PeerPipeState;
import org.poolwarden.pool.pipe.PipeAllocation;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.pipe.SharedPipeAllocator;

/**
 * Time-stepped pool sharing one pipe, with the real allocator on every host and a centralised max-min oracle run
 * on the same arrivals. One exchange round per tick: a host allocates at tick t from the entries peers published at
 * the end of t-1 (its own included); each peer-to-host delivery is lost independently with {@code loss}; a
 * partition drops all deliveries between two halves; one host fails and membership declares it dead later.
 * Test code (benchmarks), deterministic for a seed.
 */
public final class PoolSim {

    public record Params(int hosts, long capacityBytesPerSec, long tickNanos, double loss, int ticks,
                         int failHost, int failTick, int detectTicks, int partStart, int partEnd,
                         double load, int bookedHosts, double bookingFraction, int eventCopies, long seed) {
    }

    public record Result(Params params, double overshootAvgPct, double overshootWorst1sPct,
                         double overshootWorstTickPct, int worstTickAt, double partitionOvershootWorst1sPct,
                         double utilisationCongestedPct, int congestedTicks, double utilisationSustainedPct,
                         int sustainedTicks,
                         double jainVsOracle, double jainMin5s, int unbookedAppsMeasured, double bookedMetPct,
                         long bookedChecks, int reconvergeRounds, long staleHostTicks, long drops,
                         long overdrawnTicks, double throughputVsOraclePct) {
    }

    static final int MTU = 1500;

    private final Params p;
    private final PipeConfig cfg;
    private final SplittableRandom rnd;

    public PoolSim(Params p) {
        this.p = p;
        // every host publishes every tick here (one exchange round per tick, no suppression): k alone is staleness
        this.cfg = PipeConfig.of("pipe", p.capacityBytesPerSec()).withTickNanos(p.tickNanos()).withRefresh(1, 0);
        this.rnd = new SplittableRandom(p.seed());
    }

    public Result run() {
        int n = p.hosts();
        double q = cfg.bytesPerInterval();
        int ticksPerSec = (int) Math.round(1e9 / p.tickNanos());
        Workload w = new Workload(rnd, p.tickNanos(), n, 0, q, p.load(), p.bookedHosts(), p.bookingFraction(),
                p.failHost());
        String[] ids = new String[n];
        for (int h = 0; h < n; h++) {
            ids[h] = String.format("h%03d", h);
        }
        // views[h] : what host h holds about each peer
        List<Map<String, PeerPipeState>> views = new ArrayList<>();
        for (int h = 0; h < n; h++) {
            Map<String, PeerPipeState> v = new HashMap<>();
            for (int o = 0; o < n; o++) {
                v.put(ids[o], new PeerPipeState(ids[o], 0, 0, 1, -1, Liveness.ALIVE));
            }
            views.add(v);
        }
        boolean[] deadKnown = new boolean[n]; // host h has learned of the failure
        OverdraftLedger[] ledger = new OverdraftLedger[n];
        SharedPipeAllocator[] alloc = new SharedPipeAllocator[n];
        for (int h = 0; h < n; h++) {
            ledger[h] = new OverdraftLedger();
            alloc[h] = new SharedPipeAllocator(cfg);
        }
        int warm = ticksPerSec;
        PipeMeter meter = new PipeMeter(q, ticksPerSec, p.ticks(), warm);
        int reconverge = -1;
        double jainMin = 1;
        int declared = p.failTick() + p.detectTicks();
        PeerPipeState[] lastEntry = new PeerPipeState[n];

        for (int t = 0; t < p.ticks(); t++) {
            boolean failed = t >= p.failTick();
            // 1. arrivals, same for both systems; 2. the oracle sees the true demand instantly
            double trueDemand = w.arrive(failed);
            double oracleSent = w.oracleSends(q);
            // 3. every live host allocates from its own view and sends
            double sentNow = 0;
            double perfectCredit = -1;
            double viewCredit = 0;
            boolean allKnow = true; // every live host has the failure in the view it allocates from now
            for (int h = 0; h < n; h++) {
                if (h != p.failHost() && !deadKnown[h]) {
                    allKnow = false;
                }
            }
            if (t >= declared && reconverge < 0) {
                // what hosts would grant themselves with a perfect view of last round's entries
                List<PeerPipeState> perfect = new ArrayList<>();
                for (int h = 0; h < n; h++) {
                    if (h != p.failHost() && lastEntry[h] != null) {
                        perfect.add(lastEntry[h]);
                    }
                }
                perfectCredit = SharedPipeAllocator.compute(cfg, t, perfect).totalCredit();
            }
            for (int h = 0; h < n; h++) {
                if (failed && h == p.failHost()) {
                    continue;
                }
                PipeAllocation al = alloc[h].allocate(t * p.tickNanos(), views.get(h).values());
                HostGrant g = al.grant(ids[h]).orElseThrow();
                viewCredit += g.creditBytes();
                long usable = ledger[h].begin(g.creditBytes());
                List<Workload.App> mine = w.of(h);
                List<AppClassDemand> d = new ArrayList<>(mine.size());
                for (Workload.App a : mine) {
                    long b = (long) Math.min(a.q, a.booking);
                    d.add(new AppClassDemand(a.id, b, (long) a.q - b));
                }
                List<ClassRate> rates = HostClassSplitter.split(cfg, g, usable, d);
                for (int i = 0; i < mine.size(); i++) {
                    Workload.App a = mine.get(i);
                    double s = Workload.packets(a, rates.get(i).expectedBytes(), MTU);
                    w.send(a, s, t > warm);
                    ledger[h].sent((long) s);
                    sentNow += s;
                }
            }
            meter.tick(t, sentNow, oracleSent, trueDemand);
            // 4. publish residual queues (+ debt) and deliver with loss / partition
            PeerPipeState[] entry = new PeerPipeState[n];
            for (int h = 0; h < n; h++) {
                if (failed && h == p.failHost()) {
                    continue;
                }
                double b = 0;
                double u = ledger[h].overdraft();
                double booking = 0;
                int active = 0;
                for (Workload.App a : w.of(h)) {
                    a.pubBooked = Math.min(a.q, a.booking);
                    booking += a.booking;
                    b += a.pubBooked;
                    u += a.q - a.pubBooked;
                    if (a.q - a.pubBooked > 0) {
                        active++;
                    }
                }
                entry[h] = new PeerPipeState(ids[h], b, u, Math.max(1, active), t, Liveness.ALIVE, booking);
            }
            System.arraycopy(entry, 0, lastEntry, 0, n);
            boolean partitioned = t >= p.partStart() && t < p.partEnd();
            for (int h = 0; h < n; h++) {
                if (failed && h == p.failHost()) {
                    continue;
                }
                Map<String, PeerPipeState> v = views.get(h);
                for (int o = 0; o < n; o++) {
                    if (entry[o] == null) {
                        continue;
                    }
                    if (o != h) {
                        if (partitioned && (o < n / 2) != (h < n / 2)) {
                            continue;
                        }
                        if (rnd.nextDouble() < p.loss()) {
                            continue;
                        }
                    }
                    Liveness l = v.get(ids[o]).liveness();
                    v.put(ids[o], entry[o].withLiveness(l));
                }
                // membership: the failure event reaches each host with the same loss, retried every round
                if (t >= declared && !deadKnown[h] && rnd.nextDouble() >= Math.pow(p.loss(), p.eventCopies())) {
                    deadKnown[h] = true;
                    String f = ids[p.failHost()];
                    v.put(f, v.get(f).withLiveness(Liveness.DEAD));
                }
            }
            // 5. re-convergence after the failure event: all live hosts know, and what they grant themselves
            //    adds up to what a perfect view (all entries, failed host gone) would grant.
            if (t >= declared && reconverge < 0) {
                if (allKnow && viewCredit >= 0.98 * perfectCredit) {
                    reconverge = t - declared;
                }
            }
            // 6. fairness per 5 s window
            if ((t + 1) % (5 * ticksPerSec) == 0 && t > warm) {
                jainMin = Math.min(jainMin, w.closeWindow());
            }
        }
        long stale = 0;
        long overdrawn = 0;
        for (int h = 0; h < n; h++) {
            stale += alloc[h].staleHostTicks();
            overdrawn += ledger[h].overdrawnTicks();
        }
        return new Result(p, meter.overshootAvgPct(), meter.worst1sPct(), meter.worstTickPct(), meter.worstTickAt(),
                meter.worst1sPct(p.partStart(), p.partEnd()), meter.utilisationCongestedPct(), meter.congestedTicks(),
                meter.utilisationSustainedPct(), meter.sustainedTicks(), w.jain(false), jainMin,
                w.unbookedMeasured(), w.bookedMetPct(), w.bookedChecks(), reconverge, stale, w.drops(), overdrawn,
                meter.throughputVsOraclePct());
    }
}
