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

    enum Kind { ON_OFF, PARETO }

    static final class App {
        final int id;
        final int host;
        final Kind kind;
        final double booking; // bytes per tick guaranteed, 0 if none
        final double rate;    // on/off: bytes per tick while on; pareto: mean bytes per tick
        final double limit;   // queue limit (qdisc), bytes
        boolean on;
        int left;
        double q;
        double qOracle;
        double sent;
        double sentOracle;
        double pubBooked;
        double sentWindow;
        double sentOracleWindow;

        App(int id, int host, Kind kind, double booking, double rate, double limit) {
            this.id = id;
            this.host = host;
            this.kind = kind;
            this.booking = booking;
            this.rate = rate;
            this.limit = limit;
        }
    }

    private final Params p;
    private final PipeConfig cfg;
    private final SplittableRandom rnd;

    public PoolSim(Params p) {
        this.p = p;
        this.cfg = PipeConfig.of("pipe", p.capacityBytesPerSec()).withTickNanos(p.tickNanos());
        this.rnd = new SplittableRandom(p.seed());
    }

    private double arrivals(App a) {
        if (a.kind == Kind.ON_OFF) {
            if (a.left-- <= 0) {
                a.on = !a.on;
                // exponential periods, mean 1 s
                a.left = (int) Math.ceil(-Math.log(1 - rnd.nextDouble()) * (1e9 / p.tickNanos()));
            }
            return a.on ? a.rate : 0;
        }
        // Pareto alpha 1.5 per tick, mean = rate
        double alpha = 1.5;
        double xm = a.rate * (alpha - 1) / alpha;
        return xm / Math.pow(1 - rnd.nextDouble(), 1 / alpha);
    }

    public Result run() {
        int n = p.hosts();
        double q = cfg.bytesPerInterval();
        int ticksPerSec = (int) Math.round(1e9 / p.tickNanos());
        List<App> apps = new ArrayList<>();
        List<List<App>> byHost = new ArrayList<>();
        double perApp = p.load() * q / (2.0 * n);
        for (int h = 0; h < n; h++) {
            List<App> mine = new ArrayList<>();
            double booking = h < p.bookedHosts() ? p.bookingFraction() * q : 0;
            double onRate = Math.max(2 * perApp, 1.5 * booking);
            App a0 = new App(apps.size(), h, Kind.ON_OFF, booking, onRate, 10 * q / n + 2 * booking);
            a0.on = rnd.nextBoolean();
            apps.add(a0);
            mine.add(a0);
            App a1 = new App(apps.size(), h, Kind.PARETO, 0, perApp, 10 * q / n);
            apps.add(a1);
            mine.add(a1);
            byHost.add(mine);
        }
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
        double[] sentPerTick = new double[p.ticks()];
        double overshootSum = 0;
        double worstTick = 0;
        int worstTickAt = -1;
        double utilSum = 0;
        double utilSustainedSum = 0;
        int congested = 0;
        int sustained = 0;
        int run = 0;
        long bookedChecks = 0;
        long bookedMet = 0;
        long drops = 0;
        int reconverge = -1;
        double jainMin = 1;
        double totalSent = 0;
        double totalOracle = 0;
        int declared = p.failTick() + p.detectTicks();
        int warm = ticksPerSec;
        PeerPipeState[] lastEntry = new PeerPipeState[n];

        for (int t = 0; t < p.ticks(); t++) {
            boolean failed = t >= p.failTick();
            // 1. arrivals, same for both systems
            double trueDemand = 0; // as the oracle sees it
            for (App a : apps) {
                double x = arrivals(a);
                if (failed && a.host == p.failHost()) {
                    x = 0;
                    a.q = 0;
                    a.qOracle = 0;
                }
                double nq = a.q + x;
                if (nq > a.limit) {
                    drops++;
                    nq = a.limit;
                }
                a.q = nq;
                a.qOracle = Math.min(a.limit, a.qOracle + x);
                trueDemand += a.qOracle;
            }
            // 2. oracle: sees true demand instantly
            double[] ob = new double[apps.size()];
            double[] ou = new double[apps.size()];
            for (App a : apps) {
                ob[a.id] = Math.min(a.qOracle, a.booking);
                ou[a.id] = a.qOracle - ob[a.id];
            }
            double[] or = MaxMinOracle.allocate(q, ob, ou);
            double oracleSent = 0;
            for (App a : apps) {
                a.qOracle -= or[a.id];
                a.sentOracle += or[a.id];
                a.sentOracleWindow += or[a.id];
                oracleSent += or[a.id];
            }
            if (oracleSent < 0) {
                throw new IllegalStateException("oracle sent " + oracleSent);
            }
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
                List<App> mine = byHost.get(h);
                List<AppClassDemand> d = new ArrayList<>(mine.size());
                for (App a : mine) {
                    long b = (long) Math.min(a.q, a.booking);
                    d.add(new AppClassDemand("a" + a.id, b, (long) a.q - b));
                }
                List<ClassRate> rates = HostClassSplitter.split(cfg, g, usable, d);
                for (int i = 0; i < mine.size(); i++) {
                    App a = mine.get(i);
                    long exp = rates.get(i).expectedBytes();
                    // whole packets: the last one may go over the class's part (the ledger carries the debt)
                    double s = exp <= 0 ? 0 : Math.min(a.q, Math.ceil(exp / (double) MTU) * MTU);
                    if (a.booking > 0 && t > warm) {
                        bookedChecks++;
                        if (s + 1 >= Math.min(Math.floor(a.q), a.pubBooked)) {
                            bookedMet++;
                        }
                    }
                    a.q -= s;
                    a.sent += s;
                    a.sentWindow += s;
                    ledger[h].sent((long) s);
                    sentNow += s;
                }
            }
            sentPerTick[t] = sentNow;
            totalSent += sentNow;
            totalOracle += oracleSent;
            double over = Math.max(0, sentNow - q) / q;
            overshootSum += over;
            if (t > warm && over > worstTick) {
                worstTick = over;
                worstTickAt = t;
            }
            run = trueDemand >= q ? run + 1 : 0;
            if (run > 0 && t > warm) {
                congested++;
                utilSum += Math.min(sentNow, q) / q;
                if (run >= 3) {
                    // congestion that lasted more than one exchange round: what the allocator can see
                    sustained++;
                    utilSustainedSum += Math.min(sentNow, q) / q;
                }
            }
            // 4. publish residual queues (+ debt) and deliver with loss / partition
            PeerPipeState[] entry = new PeerPipeState[n];
            for (int h = 0; h < n; h++) {
                if (failed && h == p.failHost()) {
                    continue;
                }
                double b = 0;
                double u = ledger[h].overdraft();
                int active = 0;
                for (App a : byHost.get(h)) {
                    a.pubBooked = Math.min(a.q, a.booking);
                    b += a.pubBooked;
                    u += a.q - a.pubBooked;
                    if (a.q - a.pubBooked > 0) {
                        active++;
                    }
                }
                entry[h] = new PeerPipeState(ids[h], b, u, Math.max(1, active), t, Liveness.ALIVE);
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
                double jw = jainOf(apps, true);
                jainMin = Math.min(jainMin, jw);
                for (App a : apps) {
                    a.sentWindow = 0;
                    a.sentOracleWindow = 0;
                }
            }
        }
        // worst 1 s window of overshoot (sliding), overall and during the partition
        double worst = 0;
        double worstPart = 0;
        double win = 0;
        for (int t = 0; t < p.ticks(); t++) {
            win += sentPerTick[t];
            if (t >= ticksPerSec) {
                win -= sentPerTick[t - ticksPerSec];
            }
            if (t >= ticksPerSec - 1 && t > warm) {
                double o = Math.max(0, win - ticksPerSec * q) / (ticksPerSec * q);
                worst = Math.max(worst, o);
                if (t >= p.partStart() && t - ticksPerSec < p.partEnd()) {
                    worstPart = Math.max(worstPart, o);
                }
            }
        }
        long stale = 0;
        long overdrawn = 0;
        for (int h = 0; h < n; h++) {
            stale += alloc[h].staleHostTicks();
            overdrawn += ledger[h].overdrawnTicks();
        }
        int measured = 0;
        for (App a : apps) {
            if (a.booking == 0 && a.host != p.failHost() && a.sentOracle > 0) {
                measured++;
            }
        }
        return new Result(p, 100 * overshootSum / p.ticks(), 100 * worst, 100 * worstTick, worstTickAt, 100 * worstPart,
                congested == 0 ? Double.NaN : 100 * utilSum / congested,
                congested, sustained == 0 ? Double.NaN : 100 * utilSustainedSum / sustained, sustained,
                jainOf(apps, false), jainMin, measured,
                bookedChecks == 0 ? Double.NaN : 100.0 * bookedMet / bookedChecks, bookedChecks, reconverge,
                stale, drops, overdrawn, 100 * totalSent / totalOracle);
    }

    /** Jain's index of (our throughput / oracle throughput) over the unbooked apps of hosts that never failed. */
    private double jainOf(List<App> apps, boolean window) {
        List<Double> x = new ArrayList<>();
        for (App a : apps) {
            double o = window ? a.sentOracleWindow : a.sentOracle;
            double s = window ? a.sentWindow : a.sent;
            if (a.booking == 0 && a.host != p.failHost() && o > 0) {
                x.add(s / o);
            }
        }
        double[] arr = new double[x.size()];
        for (int i = 0; i < arr.length; i++) {
            arr[i] = x.get(i);
        }
        return MaxMinOracle.jain(arr);
    }
}
