package org.poolwarden.pool.share;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
import org.poolwarden.pool.sim.MaxMinOracle;

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

    record Result(Params params, double overshootAvgPct, double overshootWorst1sPct, double overshootWorstTickPct,
                  double partitionOvershootWorst1sPct, double utilisationCongestedPct, int congestedTicks,
                  double utilisationSustainedPct, int sustainedTicks, double jainVsOracle, double jainMin5s,
                  double bookedMetPct, long bookedChecks, int failureDetectedAfterRounds, int releasedEverywhereRounds,
                  int reconvergeRounds, double staleFractionOfPeerRounds, double throughputVsOraclePct,
                  double exchangeKbitPerHost, long falseReleases, long drops) {
    }

    static final int MTU = 1500;
    static final boolean PROGRESS = Boolean.getBoolean("pw.progress");

    enum Kind { ON_OFF, PARETO }

    static final class App {
        final String id;
        final int host;
        final Kind kind;
        final double booking;
        final double rate;
        final double limit;
        boolean on;
        int left;
        double q;
        double qOracle;
        double sent;
        double sentOracle;
        double sentWindow;
        double sentOracleWindow;
        double pubBooked;

        App(String id, int host, Kind kind, double booking, double rate, double limit) {
            this.id = id;
            this.host = host;
            this.kind = kind;
            this.booking = booking;
            this.rate = rate;
            this.limit = limit;
        }
    }

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
            for (App a : byHost.get(host)) {
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
    private final List<App> apps = new ArrayList<>();
    private final List<List<App>> byHost = new ArrayList<>();
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

    private double arrivals(App a) {
        if (a.kind == Kind.ON_OFF) {
            if (a.left-- <= 0) {
                a.on = !a.on;
                a.left = (int) Math.ceil(-Math.log(1 - rnd.nextDouble()) * (1e9 / tick)); // mean 1 s
            }
            return a.on ? a.rate : 0;
        }
        double alpha = 1.5;
        double xm = a.rate * (alpha - 1) / alpha;
        return xm / Math.pow(1 - rnd.nextDouble(), 1 / alpha);
    }

    private SharedPipe pipeOf(int host) {
        TreeMap<String, Integer> minors = new TreeMap<>();
        int m = 0x10;
        for (App a : byHost.get(host)) {
            minors.put(a.id, m++);
        }
        return new SharedPipe(cfg, "eth0", 10_000_000_000L, minors, 2, List.of(), java.util.Set.of());
    }

    Result run() {
        int n = p.hosts();
        double q = cfg.bytesPerInterval();
        int ticksPerSec = (int) Math.round(1e9 / tick);
        double perApp = p.load() * q / (2.0 * n);
        byHost.add(List.of());
        for (int h = 1; h <= n; h++) {
            List<App> mine = new ArrayList<>();
            double booking = h <= p.bookedHosts() ? p.bookingFraction() * q : 0;
            double onRate = Math.max(2 * perApp, 1.5 * booking);
            App a0 = new App("h" + h + "a", h, Kind.ON_OFF, booking, onRate, 10 * q / n + 2 * booking);
            a0.on = rnd.nextBoolean();
            App a1 = new App("h" + h + "b", h, Kind.PARETO, 0, perApp, 10 * q / n);
            mine.add(a0);
            mine.add(a1);
            apps.addAll(mine);
            byHost.add(mine);
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
        double[] sentPerTick = new double[ticks];
        double overshootSum = 0;
        double worstTick = 0;
        double utilSum = 0;
        double utilSustainedSum = 0;
        int congested = 0;
        int sustained = 0;
        int run = 0;
        long bookedChecks = 0;
        long bookedMet = 0;
        long drops = 0;
        double jainMin = 1;
        double totalSent = 0;
        double totalOracle = 0;
        int warm = ticksPerSec;
        int failTick = p.failAtSec() * ticksPerSec;
        int detected = -1;
        int everywhere = -1;
        int reconverged = -1;
        String failId = PipeShareCoordinator.hostId(p.failHost());
        long bytes0 = pool.cluster.net.bytesSent();
        long stale0 = staleHostTicks();
        long rounds0 = rounds();
        long released0 = releasedCount();

        for (int t = 0; t < ticks; t++) {
            pool.cluster.net.runUntil(t0 + (long) t * tick); // everything up to this boundary (rounds of t-1 ran)
            if (PROGRESS && t % ticksPerSec == 0 && t > 0) {
                double sec = 0;
                for (int k = t - ticksPerSec; k < t; k++) {
                    sec += sentPerTick[k];
                }
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
                        t / ticksPerSec, sec / (q * ticksPerSec), releasedCount(), counted / (double) live,
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
            }
            if (t == p.partEndSec() * ticksPerSec) {
                pool.cluster.net.heal();
            }
            // 1. arrivals for interval t, the same for both systems
            double trueDemand = 0;
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
            // 2. the oracle sees the true demand at once
            double[] ob = new double[apps.size()];
            double[] ou = new double[apps.size()];
            for (int i = 0; i < apps.size(); i++) {
                App a = apps.get(i);
                ob[i] = Math.min(a.qOracle, a.booking);
                ou[i] = a.qOracle - ob[i];
            }
            double[] or = MaxMinOracle.allocate(q, ob, ou);
            double oracleSent = 0;
            for (int i = 0; i < apps.size(); i++) {
                App a = apps.get(i);
                a.qOracle -= or[i];
                a.sentOracle += or[i];
                a.sentOracleWindow += or[i];
                oracleSent += or[i];
            }
            // 3. hosts run their rounds for interval t (on the simulated network: exchange traffic in between)
            pool.cluster.net.runUntil(t0 + (long) t * tick + tick - 1);
            // 4. and send what the round allowed during the interval
            double sentNow = 0;
            for (int h = 1; h <= n; h++) {
                if (!pool.host(h).isAlive()) {
                    continue;
                }
                List<ClassRate> rates = pool.coordinator(h).rates("pipe");
                double hostSent = 0;
                for (App a : byHost.get(h)) {
                    long exp = 0;
                    for (ClassRate r : rates) {
                        if (r.appId().equals(a.id)) {
                            exp = r.expectedBytes();
                        }
                    }
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
                    hostSent += s;
                }
                traffic[h].sentLast += (long) hostSent;
                sentNow += hostSent;
                for (App a : byHost.get(h)) {
                    a.pubBooked = Math.min(a.q, a.booking); // what the next round's entry books
                }
            }
            sentPerTick[t] = sentNow;
            totalSent += sentNow;
            totalOracle += oracleSent;
            double over = Math.max(0, sentNow - q) / q;
            overshootSum += over;
            if (t > warm) {
                worstTick = Math.max(worstTick, over);
            }
            run = trueDemand >= q ? run + 1 : 0;
            if (run > 0 && t > warm) {
                congested++;
                utilSum += Math.min(sentNow, q) / q;
                if (run >= 3) {
                    sustained++;
                    utilSustainedSum += Math.min(sentNow, q) / q;
                }
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
                            d.activeClasses(), d.interval(), Liveness.ALIVE));
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
                jainMin = Math.min(jainMin, jainOf(true));
                for (App a : apps) {
                    a.sentWindow = 0;
                    a.sentOracleWindow = 0;
                }
            }
        }
        double worst = 0;
        double worstPart = 0;
        double win = 0;
        int ps = p.partStartSec() * ticksPerSec;
        int pe = p.partEndSec() * ticksPerSec;
        for (int t = 0; t < ticks; t++) {
            win += sentPerTick[t];
            if (t >= ticksPerSec) {
                win -= sentPerTick[t - ticksPerSec];
            }
            if (t >= ticksPerSec - 1 && t > warm) {
                double o = Math.max(0, win - ticksPerSec * q) / (ticksPerSec * q);
                worst = Math.max(worst, o);
                if (t >= ps && t - ticksPerSec < pe) {
                    worstPart = Math.max(worstPart, o);
                }
            }
        }
        long peerRounds = (rounds() - rounds0) * (long) n * n;
        double exchangeKbit = (pool.cluster.net.bytesSent() - bytes0) * 8.0 / 1000 / n / p.seconds();
        // releases of hosts other than the killed one are false failure detections (e.g. during the partition)
        long falseReleases = releasedCount() - released0 - (n - 1);
        return new Result(p, 100 * overshootSum / ticks, 100 * worst, 100 * worstTick, 100 * worstPart,
                congested == 0 ? Double.NaN : 100 * utilSum / congested, congested,
                sustained == 0 ? Double.NaN : 100 * utilSustainedSum / sustained, sustained,
                jainOf(false), jainMin, bookedChecks == 0 ? Double.NaN : 100.0 * bookedMet / bookedChecks,
                bookedChecks, detected < 0 ? -1 : detected - failTick, everywhere < 0 ? -1 : everywhere - detected,
                reconverged < 0 ? -1 : reconverged - detected,
                peerRounds == 0 ? 0 : (double) (staleHostTicks() - stale0) / peerRounds,
                100 * totalSent / totalOracle, exchangeKbit, Math.max(0, falseReleases), drops);
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

    private double jainOf(boolean window) {
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
