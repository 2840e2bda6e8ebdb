package org.poolwarden.pool.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demand both pool simulations offer ({@link PoolSim} with views exchanged per round, and the simulation over
 * the real exchange in {@code pool.share}), and the centralised oracle's side of it: per host one on/off app
 * (booked on the first {@code bookedHosts} hosts) and one Pareto(1.5) app, queues with a qdisc limit, the
 * max-min oracle sending from its own copy of every queue. Test code, deterministic for the random source.
 */
public final class Workload {

    public enum Kind { ON_OFF, PARETO }

    /** One app: its queue in the simulated pool and its queue under the oracle. */
    public static final class App {
        public final int index;
        public final int host;
        public final String id;
        public final Kind kind;
        /** Bytes per tick guaranteed, 0 if none. */
        public final double booking;
        /** On/off: bytes per tick while on; Pareto: mean bytes per tick. */
        public final double rate;
        /** Queue limit (qdisc), bytes. */
        public final double limit;
        boolean on;
        int left;
        public double q;
        double qOracle;
        public double sent;
        double sentOracle;
        double sentWindow;
        double sentOracleWindow;
        /** What the app's host last published as its booked part (the booked-guarantee check). */
        public double pubBooked;

        App(int index, int host, String id, Kind kind, double booking, double rate, double limit) {
            this.index = index;
            this.host = host;
            this.id = id;
            this.kind = kind;
            this.booking = booking;
            this.rate = rate;
            this.limit = limit;
        }
    }

    private final SplittableRandom rnd;
    private final long tickNanos;
    private final int failHost;
    private final List<App> apps = new ArrayList<>();
    private final List<List<App>> byHost = new ArrayList<>();
    private final int firstHost;
    private long drops;
    private long bookedChecks;
    private long bookedMet;

    /**
     * Hosts are numbered {@code firstHost .. firstHost + hosts - 1}; the first {@code bookedHosts} of them book
     * {@code bookingFraction} of the pipe for their on/off app. {@code failHost} is the host that will be killed
     * (its apps are left out of the fairness index).
     */
    public Workload(SplittableRandom rnd, long tickNanos, int hosts, int firstHost, double bytesPerTick, double load,
                    int bookedHosts, double bookingFraction, int failHost) {
        this.rnd = rnd;
        this.tickNanos = tickNanos;
        this.failHost = failHost;
        this.firstHost = firstHost;
        double perApp = load * bytesPerTick / (2.0 * hosts);
        for (int i = 0; i < hosts; i++) {
            int h = firstHost + i;
            List<App> mine = new ArrayList<>();
            double booking = i < bookedHosts ? bookingFraction * bytesPerTick : 0;
            double onRate = Math.max(2 * perApp, 1.5 * booking);
            App a0 = new App(apps.size(), h, "h" + h + "a", Kind.ON_OFF, booking, onRate,
                    10 * bytesPerTick / hosts + 2 * booking);
            a0.on = rnd.nextBoolean();
            apps.add(a0);
            mine.add(a0);
            App a1 = new App(apps.size(), h, "h" + h + "b", Kind.PARETO, 0, perApp, 10 * bytesPerTick / hosts);
            apps.add(a1);
            mine.add(a1);
            byHost.add(mine);
        }
    }

    public List<App> apps() {
        return apps;
    }

    public List<App> of(int host) {
        return byHost.get(host - firstHost);
    }

    private double arrivals(App a) {
        if (a.kind == Kind.ON_OFF) {
            if (a.left-- <= 0) {
                a.on = !a.on;
                // exponential periods, mean 1 s
                a.left = (int) Math.ceil(-Math.log(1 - rnd.nextDouble()) * (1e9 / tickNanos));
            }
            return a.on ? a.rate : 0;
        }
        // Pareto alpha 1.5 per tick, mean = rate
        double alpha = 1.5;
        double xm = a.rate * (alpha - 1) / alpha;
        return xm / Math.pow(1 - rnd.nextDouble(), 1 / alpha);
    }

    /**
     * One tick's arrivals into both systems' queues (the failed host's apps, once {@code failed}, get nothing and
     * lose their queues). Returns the true demand: everything queued under the oracle.
     */
    public double arrive(boolean failed) {
        double trueDemand = 0;
        for (App a : apps) {
            double x = arrivals(a);
            if (failed && a.host == failHost) {
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
        return trueDemand;
    }

    /** The oracle sends one tick, seeing every true queue at once; returns what it sent. */
    public double oracleSends(double bytesPerTick) {
        double[] ob = new double[apps.size()];
        double[] ou = new double[apps.size()];
        for (App a : apps) {
            ob[a.index] = Math.min(a.qOracle, a.booking);
            ou[a.index] = a.qOracle - ob[a.index];
        }
        double[] or = MaxMinOracle.allocate(bytesPerTick, ob, ou);
        double sent = 0;
        for (App a : apps) {
            a.qOracle -= or[a.index];
            a.sentOracle += or[a.index];
            a.sentOracleWindow += or[a.index];
            sent += or[a.index];
        }
        if (sent < 0) {
            throw new IllegalStateException("oracle sent " + sent);
        }
        return sent;
    }

    /**
     * The app sends {@code s} bytes this tick in the simulated pool; after warm-up a booked app is checked against
     * its guarantee: it must send at least what it had queued up to the booking its host published.
     */
    public void send(App a, double s, boolean check) {
        if (a.booking > 0 && check) {
            bookedChecks++;
            if (s + 1 >= Math.min(Math.floor(a.q), a.pubBooked)) {
                bookedMet++;
            }
        }
        a.q -= s;
        a.sent += s;
        a.sentWindow += s;
    }

    /** Whole packets: the last one may go over the class's part (the ledger carries the debt). */
    public static double packets(App a, long expectedBytes, int mtu) {
        return expectedBytes <= 0 ? 0 : Math.min(a.q, Math.ceil(expectedBytes / (double) mtu) * mtu);
    }

    public long drops() {
        return drops;
    }

    public long bookedChecks() {
        return bookedChecks;
    }

    public double bookedMetPct() {
        return bookedChecks == 0 ? Double.NaN : 100.0 * bookedMet / bookedChecks;
    }

    /** Jain's index of (our throughput / oracle throughput) over the unbooked apps of hosts that never failed. */
    public double jain(boolean window) {
        List<Double> x = new ArrayList<>();
        for (App a : apps) {
            double o = window ? a.sentOracleWindow : a.sentOracle;
            double s = window ? a.sentWindow : a.sent;
            if (a.booking == 0 && a.host != failHost && o > 0) {
                x.add(s / o);
            }
        }
        double[] arr = new double[x.size()];
        for (int i = 0; i < arr.length; i++) {
            arr[i] = x.get(i);
        }
        return MaxMinOracle.jain(arr);
    }

    /** Unbooked apps of hosts that never failed that the oracle served (the ones {@link #jain} measures). */
    public int unbookedMeasured() {
        int measured = 0;
        for (App a : apps) {
            if (a.booking == 0 && a.host != failHost && a.sentOracle > 0) {
                measured++;
            }
        }
        return measured;
    }

    /** Starts a new fairness window; returns the Jain index of the one that ended. */
    public double closeWindow() {
        double j = jain(true);
        for (App a : apps) {
            a.sentWindow = 0;
            a.sentOracleWindow = 0;
        }
        return j;
    }
}
