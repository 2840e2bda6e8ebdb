package org.poolwarden.pool.share;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.sim.SimHost;
import org.poolwarden.pool.pipe.ClassRate;
import org.poolwarden.pool.pipe.HostGrant;
import org.poolwarden.pool.pipe.Liveness;
import org.poolwarden.pool.pipe.PeerPipeState;
import org.poolwarden.pool.pipe.PipeAllocation;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.pipe.SharedPipeAllocator;
import org.poolwarden.pool.policy.PolicyCatalog;
import org.poolwarden.pool.sim.PipeMeter;
import org.poolwarden.pool.sim.Workload;

/**
 * A pool sharing one pipe with the real coordinator, allocator, ledger and splitter on every host, and the real
 * exchange (SWIM membership, gossip with its delays, 5% loss) carrying demand entries and policies on the
 * simulated network. A world clock at every interval boundary sends what each host's last round allowed, adds the
 * arrivals of the next interval (on/off and Pareto per host, as the pure {@code PoolSim}) and runs the centralised
 * max-min oracle on the same arrivals. One host is killed (membership has to find out); one two-way partition.
 * Test code (benchmarks), deterministic for a seed.
 */
final class ExchangePoolSim {

    record Params(int hosts, long capacityBytesPerSec, double loss, int seconds, int failHost, int failAtSec,
                  int partStartSec, int partEndSec, double load, int bookedHosts, double bookingFraction, int lag,
                  long seed, long tickNanos, int refreshIntervals) {
    }

    record Result(Params params, double overshootAvgPct, double overshootWorst1sPct, double overshootWorst1sEndSec,
                  double diagWorst1sAfterOnsetPct, double overshootWorstTickPct,
                  double partitionOvershootWorst1sPct, double partitionAllStaleAfterSec,
                  double partitionStaleOvershootWorst1sPct, double utilisationCongestedPct, int congestedTicks,
                  double utilisationSustainedPct, int sustainedTicks, double jainVsOracle, double jainMin5s,
                  double bookedMetPct, long bookedChecks, int failureDetectedAfterRounds, int releasedEverywhereRounds,
                  int reconvergeRounds, double staleFractionOfPeerRounds, double throughputVsOraclePct,
                  double exchangeKbitPerHost, long falseReleases, long drops) {
    }

    static final int MTU = 1500;
    /**
     * Seconds after the simultaneous start of demand on all hosts that the diagnostic {@code
     * diagWorst1sAfterOnsetPct} leaves out (the target, {@code overshootWorst1sPct}, covers every window).
     */
    static final int ONSET_SECONDS = 2;
    static final boolean PROGRESS = Boolean.getBoolean("pw.progress");
    /** Prints every booked-guarantee miss and every unsaturated congested tick (diagnosis of issue #8). */
    static final boolean MISSES = Boolean.getBoolean("pw.bench.misses");
    /**
     * Prints every tick from 25 ticks before the partition to 1 s after it heals, per side: sent, credit, booked,
     * minority-capped hosts, how the views count the other side (fresh, stale), held and released counters (issue
     * #8 partition diagnosis; with {@code -Dpw.bench.parthosts=true} also each host's sent/credit).
     */
    static final boolean PART = Boolean.getBoolean("pw.bench.part");

    /** A host's view of its own queues for the coordinator. */
    final class Traffic implements PipeTraffic {
        final int host;
        long sentLast;

        Traffic(int host) {
            this.host = host;
        }

        @Override
        public Sample sample(SharedPipe pipe, long nowNanos) {
            Map<String, Long> q = new TreeMap<>();
            for (Workload.App a : w.of(host)) {
                q.put(a.id, (long) a.q);
            }
            long s = sentLast;
            sentLast = 0;
            return new Sample(q, s);
        }
    }

    private final Params p;
    private final long tick;
    private final PipeConfig cfg;
    private final SplittableRandom rnd;
    private Workload w;
    private final Traffic[] traffic;
    private SharePool pool;

    ExchangePoolSim(Params p) {
        this.p = p;
        this.tick = p.tickNanos();
        // refreshIntervals 1 = every host publishes every interval (no demand suppression)
        this.cfg = PipeConfig.of("pipe", p.capacityBytesPerSec()).withTickNanos(tick)
                .withRefresh(p.refreshIntervals(), p.refreshIntervals() == 1 ? 0 : PipeConfig.DEFAULT_REPUBLISH_CHANGE);
        this.rnd = new SplittableRandom(p.seed());
        this.traffic = new Traffic[p.hosts() + 1];
    }

    private SharedPipe pipeOf(int host) {
        TreeMap<String, Integer> minors = new TreeMap<>();
        int m = 0x10;
        for (Workload.App a : w.of(host)) {
            minors.put(a.id, m++);
        }
        return new SharedPipe(cfg, "eth0", 10_000_000_000L, minors, 2, List.of(), java.util.Set.of());
    }

    Result run() {
        int n = p.hosts();
        double q = cfg.bytesPerInterval();
        int ticksPerSec = (int) Math.round(1e9 / tick);
        w = new Workload(rnd, tick, n, 1, q, p.load(), p.bookedHosts(), p.bookingFraction(), p.failHost());
        for (int h = 1; h <= n; h++) {
            traffic[h] = new Traffic(h);
        }
        pool = new SharePool(p.seed(), n, ExchangeConfig.lan(), tick, this::pipesFor, false, h -> traffic[h]);
        for (int h = 1; h <= n; h++) {
            pool.coordinator(h).decisionLag(p.lag());
        }
        pool.cluster.net.loss(p.loss());
        pool.start();
        pool.runMillis(300);
        for (int h = 1; h <= p.bookedHosts(); h++) {
            pool.coordinator(1).setPolicy("pipe/pipe/h" + h + "a", PolicyCatalog.body(p.bookingFraction() * 100, 1));
        }
        pool.runMillis(1700); // policies spread, everybody has entries

        int ticks = p.seconds() * ticksPerSec;
        long t0 = (pool.now() / tick + 1) * tick;
        int warm = ticksPerSec;
        PipeMeter meter = new PipeMeter(q, ticksPerSec, ticks, warm);
        double jainMin = 1;
        int failTick = p.failAtSec() * ticksPerSec;
        int detected = -1;
        int everywhere = -1;
        int reconverged = -1;
        int allStale = -1; // the first tick of the partition at which every view counts the other side stale
        String failId = PipeShareCoordinator.hostId(p.failHost());
        long bytes0 = pool.cluster.net.bytesSent();
        long stale0 = staleHostTicks();
        long rounds0 = rounds();
        long released0 = releasedCount();

        for (int t = 0; t < ticks; t++) {
            pool.cluster.net.runUntil(t0 + (long) t * tick); // everything up to this boundary (rounds of t-1 ran)
            if (PROGRESS && t % ticksPerSec == 0 && t > 0) {
                int counted = 0;
                int staleG = 0;
                int live = 0;
                long credit = 0;
                for (int h = 1; h <= n; h++) {
                    if (pool.host(h).isAlive()) {
                        live++;
                        PipeAllocation al = pool.coordinator(h).allocation("pipe").orElse(null);
                        if (al != null) {
                            counted += al.grants().size();
                            staleG += (int) al.grants().stream().filter(HostGrant::stale).count();
                        }
                        credit += pool.coordinator(h).grant("pipe").map(HostGrant::creditBytes).orElse(0L);
                    }
                }
                System.out.printf("progress t=%ds sent/capacity=%.3f released=%d counted=%.1f stale=%.1f credit=%.3f%n",
                        t / ticksPerSec, meter.lastSecond(t - 1), releasedCount(), counted / (double) live,
                        staleG / (double) live, credit / q);
            }
            boolean failed = t >= failTick;
            if (t == failTick) {
                pool.kill(p.failHost());
            }
            if (t == p.partStartSec() * ticksPerSec) {
                List<InetSocketAddress> side = new ArrayList<>();
                for (int h = 1; h <= n / 2; h++) {
                    side.add(SimHost.addressOf(h));
                }
                pool.cluster.net.partition(side);
                for (int h = 1; h <= n; h++) {
                    if (pool.host(h).isAlive()) {
                        (h <= n / 2 ? leftSideIds : rightSideIds).add(PipeShareCoordinator.hostId(h));
                    }
                }
            }
            if (t == p.partEndSec() * ticksPerSec) {
                pool.cluster.net.heal();
            }
            // 1. arrivals for interval t, the same for both systems; 2. the oracle sees the true demand at once
            double trueDemand = w.arrive(failed);
            double oracleSent = w.oracleSends(q);
            // 3. hosts run their rounds for interval t (on the simulated network: exchange traffic in between)
            pool.cluster.net.runUntil(t0 + (long) t * tick + tick - 1);
            if (allStale < 0 && t >= p.partStartSec() * ticksPerSec && t < p.partEndSec() * ticksPerSec
                    && everyViewCountsTheOtherSideStale()) {
                allStale = t;
            }
            // 4. and send what the round allowed during the interval
            double sentNow = 0;
            for (int h = 1; h <= n; h++) {
                if (!pool.host(h).isAlive()) {
                    continue;
                }
                List<ClassRate> rates = pool.coordinator(h).rates("pipe");
                double hostSent = 0;
                for (Workload.App a : w.of(h)) {
                    long exp = 0;
                    for (ClassRate r : rates) {
                        if (r.appId().equals(a.id)) {
                            exp = r.expectedBytes();
                        }
                    }
                    double s = Workload.packets(a, exp, MTU);
                    if (MISSES && a.booking > 0 && t > warm && s + 1 < Math.min(Math.floor(a.q), a.pubBooked)) {
                        HostGrant g = pool.coordinator(h).grant("pipe").orElse(null);
                        PipeAllocation al = pool.coordinator(h).allocation("pipe").orElse(null);
                        System.out.printf("miss t=%d host=%d sent=%.0f q=%.0f pubBooked=%.0f exp=%d grant=%s "
                                + "scaled=%s stale=%d overdraft=%d%n", t, h, s, a.q, a.pubBooked, exp, g,
                                al == null ? "?" : al.bookedScaled(), al == null ? -1
                                        : al.grants().stream().filter(HostGrant::stale).count(),
                                pool.coordinator(h).ledger("pipe").overdraft());
                    }
                    w.send(a, s, t > warm);
                    hostSent += s;
                }
                traffic[h].sentLast += (long) hostSent;
                hostSentNow[h] = hostSent;
                sentNow += hostSent;
                for (Workload.App a : w.of(h)) {
                    a.pubBooked = Math.min(a.q, a.booking); // what the next round's entry books
                }
            }
            meter.tick(t, sentNow, oracleSent, trueDemand);
            if (PART && t >= p.partStartSec() * ticksPerSec - 25 && t < p.partEndSec() * ticksPerSec + ticksPerSec + 5) {
                partLine(t, sentNow, q, oracleSent, trueDemand);
            }
            if (MISSES && t > warm && trueDemand >= q && sentNow < 0.95 * q) {
                long cb = 0, cu = 0, ci = 0, unusedCredit = 0, queuedNoCredit = 0;
                int stale = 0;
                int live = 0;
                double viewSum = 0;
                for (int h = 1; h <= n; h++) {
                    if (!pool.host(h).isAlive()) {
                        continue;
                    }
                    HostGrant g = pool.coordinator(h).grant("pipe").orElse(null);
                    if (g == null) {
                        continue;
                    }
                    cb += g.bookedBytes();
                    cu += g.unbookedBytes();
                    ci += g.immediateBytes();
                    double qh = 0;
                    for (Workload.App a : w.of(h)) {
                        qh += a.q;
                    }
                    if (qh <= 1) {
                        unusedCredit += g.creditBytes();
                    } else {
                        queuedNoCredit += (long) qh;
                    }
                    stale += pool.coordinator(h).allocation("pipe").map(al -> (int) al.grants().stream()
                            .filter(HostGrant::stale).count()).orElse(0);
                    viewSum += pool.coordinator(h).allocation("pipe").map(PipeAllocation::totalCredit).orElse(0L);
                    live++;
                }
                System.out.printf("under t=%d sent=%.3f booked=%.3f unbooked=%.3f imm=%.3f creditOfEmptyHosts=%.3f "
                        + "leftQueued=%.3f staleAvg=%.1f viewCredit=%.3f%n", t, sentNow / q, cb / q, cu / q, ci / q,
                        unusedCredit / q, queuedNoCredit / q, stale / (double) n, viewSum / live / q);
            }
            // 5. failure: detection, release everywhere, credits back to what a perfect view would grant
            if (failed) {
                int knowing = 0;
                int live = 0;
                double credits = 0;
                List<PeerPipeState> perfect = new ArrayList<>();
                for (int h = 1; h <= n; h++) {
                    if (!pool.host(h).isAlive()) {
                        continue;
                    }
                    live++;
                    PipeShareCoordinator c = pool.coordinator(h);
                    PipeAllocation a = c.allocation("pipe").orElseThrow();
                    if (a.grant(failId).isEmpty()) {
                        knowing++;
                    }
                    credits += c.grant("pipe").map(HostGrant::creditBytes).orElse(0L);
                    PipeDemandEntry d = c.published("pipe").orElseThrow();
                    perfect.add(new PeerPipeState(PipeShareCoordinator.hostId(h), d.bookedBytes(), d.unbookedBytes(),
                            d.activeClasses(), d.interval(), Liveness.ALIVE, d.bookingBytes()));
                }
                if (knowing > 0 && detected < 0) {
                    detected = t;
                }
                if (detected >= 0 && knowing == live && everywhere < 0) {
                    everywhere = t;
                }
                if (everywhere >= 0 && reconverged < 0) {
                    double ideal = SharedPipeAllocator.compute(cfg, cfg.intervalAt(pool.now()), perfect).totalCredit();
                    if (credits >= 0.98 * ideal) {
                        reconverged = t;
                    }
                }
            }
            if ((t + 1) % (5 * ticksPerSec) == 0 && t > warm) {
                jainMin = Math.min(jainMin, w.closeWindow());
            }
        }
        int ps = p.partStartSec() * ticksPerSec;
        int pe = p.partEndSec() * ticksPerSec;
        long peerRounds = (rounds() - rounds0) * (long) n * n;
        double exchangeKbit = (pool.cluster.net.bytesSent() - bytes0) * 8.0 / 1000 / n / p.seconds();
        // releases of hosts other than the killed one are false failure detections (e.g. during the partition)
        long falseReleases = releasedCount() - released0 - (n - 1);
        // The worst 1 s window is taken over every window, the simultaneous start of demand on all hosts (t = 0)
        // included: that onset is the hardest second at 128 hosts (every host grants itself its new demand from
        // its own entry while the others still hold its idle one, until the news has spread). The same figure
        // over windows starting ONSET_SECONDS or later is a diagnostic only (how the pool does once it has heard).
        int settled = ONSET_SECONDS * ticksPerSec + ticksPerSec - 1;
        int worstEnd = meter.worst1sEndTick(0);
        return new Result(p, meter.overshootAvgPct(), meter.worst1sPct(),
                worstEnd < 0 ? Double.NaN : (worstEnd + 1) / (double) ticksPerSec,
                meter.worst1sPct(settled, Integer.MAX_VALUE), meter.worstTickPct(),
                meter.worst1sPct(ps, pe), allStale < 0 ? Double.NaN : (allStale - ps) / (double) ticksPerSec,
                allStale < 0 ? Double.NaN : meter.worst1sPct(allStale + ticksPerSec - 1, pe),
                meter.utilisationCongestedPct(), meter.congestedTicks(),
                meter.utilisationSustainedPct(), meter.sustainedTicks(), w.jain(false), jainMin, w.bookedMetPct(),
                w.bookedChecks(), detected < 0 ? -1 : detected - failTick, everywhere < 0 ? -1 : everywhere - detected,
                reconverged < 0 ? -1 : reconverged - detected,
                peerRounds == 0 ? 0 : (double) (staleHostTicks() - stale0) / peerRounds,
                meter.throughputVsOraclePct(), exchangeKbit, Math.max(0, falseReleases), w.drops());
    }

    /** The live hosts' ids on each side of the partition, taken when it starts. */
    private final Set<String> leftSideIds = new HashSet<>();
    private final Set<String> rightSideIds = new HashSet<>();
    private final double[] hostSentNow = new double[1000];
    private final double[] partSent = new double[100_000];
    private final long[] capped0 = new long[1000];

    private void partLine(int t, double sentNow, double q, double oracle, double demand) {
        int n = p.hosts();
        partSent[t] = sentNow;
        double win = 0;
        for (int i = Math.max(0, t - 19); i <= t; i++) {
            win += partSent[i];
        }
        StringBuilder sb = new StringBuilder(String.format("part t=%d sent=%.3f win1s=%.3f demand=%.3f oracle=%.3f",
                t, sentNow / q, win / (20 * q), demand / q, oracle / q));
        for (int side = 0; side < 2; side++) {
            int lo = side == 0 ? 1 : n / 2 + 1;
            int hi = side == 0 ? n / 2 : n;
            double credit = 0, booked = 0, sent = 0, viewTotal = 0;
            int live = 0, capped = 0, counted = 0, staleOther = 0, freshOther = 0, held = 0, rel = 0;
            StringBuilder hosts = new StringBuilder();
            for (int h = lo; h <= hi; h++) {
                if (!pool.host(h).isAlive()) {
                    continue;
                }
                live++;
                PipeShareCoordinator c = pool.coordinator(h);
                HostGrant g = c.grant("pipe").orElse(null);
                PipeAllocation al = c.allocation("pipe").orElse(null);
                long cap = c.counters().get(ShareCounters.Counter.MINORITY_CAPPED);
                if (cap > capped0[h]) {
                    capped++;
                }
                capped0[h] = cap;
                held += c.counters().get(ShareCounters.Counter.MEMBER_HELD);
                rel += c.counters().get(ShareCounters.Counter.MEMBER_RELEASED);
                if (g != null) {
                    credit += g.creditBytes();
                    booked += g.bookedBytes();
                }
                double hs = hostSentNow[h];
                sent += hs;
                if (al != null) {
                    counted += al.grants().size();
                    viewTotal += al.totalCredit();
                    for (HostGrant x : al.grants()) {
                        int id = Integer.parseInt(x.hostId().replaceAll("\\D", ""));
                        boolean other = side == 0 ? id > n / 2 : id <= n / 2;
                        if (other) {
                            if (x.stale()) {
                                staleOther++;
                            } else {
                                freshOther++;
                            }
                        }
                    }
                }
                hosts.append(String.format(" h%d:%.3f/%.3f", h, hs / q, g == null ? 0 : g.creditBytes() / q));
            }
            sb.append(String.format(" | side%d live=%d sent=%.3f credit=%.3f booked=%.3f capped=%d counted=%.1f "
                    + "otherFresh=%.1f otherStale=%.1f viewTotal=%.3f heldCtr=%d relCtr=%d",
                    side, live, sent / q, credit / q, booked / q, capped, counted / (double) live,
                    freshOther / (double) live, staleOther / (double) live, viewTotal / live / q, held, rel));
            if (Boolean.getBoolean("pw.bench.parthosts")) {
                sb.append(hosts);
            }
        }
        System.out.println(sb);
    }

    SharePool pool() {
        return pool;
    }

    private List<SharedPipe> pipesFor(int host) {
        return List.of(pipeOf(host));
    }

    private long staleHostTicks() {
        long s = 0;
        for (int h = 1; h <= p.hosts(); h++) {
            s += pool.coordinator(h).allocator("pipe").staleHostTicks();
        }
        return s;
    }

    /**
     * Whether every live host's view counts every live host of the other side of the partition as stale (or no
     * longer counts it): from then on the partition bound of the package docs holds; before, the other side is
     * still granted from its last, fresh entry.
     */
    private boolean everyViewCountsTheOtherSideStale() {
        int n = p.hosts();
        for (int h = 1; h <= n; h++) {
            if (!pool.host(h).isAlive()) {
                continue;
            }
            PipeAllocation al = pool.coordinator(h).allocation("pipe").orElse(null);
            if (al == null) {
                return false;
            }
            Set<String> otherSide = h <= n / 2 ? rightSideIds : leftSideIds;
            for (HostGrant g : al.grants()) {
                if (!g.stale() && otherSide.contains(g.hostId())) {
                    return false;
                }
            }
        }
        return true;
    }

    private long rounds() {
        long s = 0;
        for (int h = 1; h <= p.hosts(); h++) {
            if (pool.host(h).isAlive()) {
                s = Math.max(s, pool.coordinator(h).counters().get(ShareCounters.Counter.ROUNDS));
            }
        }
        return s;
    }

    private long releasedCount() {
        long s = 0;
        for (int h = 1; h <= p.hosts(); h++) {
            if (pool.host(h).isAlive()) {
                s += pool.coordinator(h).counters().get(ShareCounters.Counter.MEMBER_RELEASED);
            }
        }
        return s;
    }
}
