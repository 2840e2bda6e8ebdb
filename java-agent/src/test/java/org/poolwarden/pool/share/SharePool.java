package org.poolwarden.pool.share;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.sim.SimCluster;
import org.poolwarden.exchange.sim.SimHost;
import org.poolwarden.pool.pipe.ClassRate;
import org.poolwarden.tc.bandwidth.FakeBandwidthController;

/**
 * Test wiring: a {@link SimCluster} of real exchange nodes on the simulated network, one {@link PipeShareCoordinator}
 * per host ticked once per interval on the virtual clock (a small per-host phase, like NTP-synchronised hosts),
 * optionally a {@link FakeBandwidthController} per host. Deterministic for a seed.
 */
final class SharePool {

    /** Per host: queued bytes per app that the test sets, and sent bytes derived from the rates it was given. */
    static final class Traffic implements PipeTraffic {
        final Map<String, Long> queued = new HashMap<>();
        PipeShareCoordinator coordinator;
        long sentTotal;

        @Override
        public Sample sample(SharedPipe pipe, long nowNanos) {
            long sent = 0;
            if (coordinator != null) {
                for (ClassRate r : coordinator.rates(pipe.pipeId())) {
                    sent += Math.min(queued.getOrDefault(r.appId(), 0L), Math.max(0, r.expectedBytes()));
                }
            }
            sentTotal += sent;
            return new Sample(queued, sent);
        }
    }

    final SimCluster cluster;
    final long tickNanos;
    final PipeShareCoordinator[] coordinators;
    final Traffic[] traffic;
    final FakeBandwidthController[] tc;
    private final IntFunction<List<SharedPipe>> pipesOf;
    private final IntFunction<PipeTraffic> trafficOf;
    private final long[] phase;
    private final int[] generation;

    SharePool(long seed, int n, ExchangeConfig cfg, long tickNanos, IntFunction<List<SharedPipe>> pipesOf,
              boolean withTc) {
        this(seed, n, cfg, tickNanos, pipesOf, withTc, null);
    }

    /** {@code trafficOf}: where each host's queues come from (null: a scripted {@link Traffic} per host). */
    SharePool(long seed, int n, ExchangeConfig cfg, long tickNanos, IntFunction<List<SharedPipe>> pipesOf,
              boolean withTc, IntFunction<PipeTraffic> trafficOf) {
        this.trafficOf = trafficOf;
        this.cluster = new SimCluster(seed, cfg, n);
        this.tickNanos = tickNanos;
        this.pipesOf = pipesOf;
        this.coordinators = new PipeShareCoordinator[n + 1];
        this.traffic = new Traffic[n + 1];
        this.tc = withTc ? new FakeBandwidthController[n + 1] : null;
        this.phase = new long[n + 1];
        this.generation = new int[n + 1];
        java.util.Random r = new java.util.Random(seed ^ 0x5EED);
        for (int id = 1; id <= n; id++) {
            phase[id] = 200_000 + (long) (r.nextDouble() * 2_000_000); // 0.2-2.2 ms after the interval starts
            create(id);
        }
        cluster.sink(new SimCluster.Sink() {
            @Override
            public void event(SimCluster.Observed o) {
                coordinators[(int) o.observer()].onMemberEvent(o.event());
            }

            @Override
            public void entry(SimCluster.Seen s) {
                int id = (int) s.observer();
                cluster.host(id).node().entry(s.origin(), s.key())
                        .ifPresent(e -> coordinators[id].onEntry(e, s.atNanos()));
            }
        });
    }

    private void create(int id) {
        traffic[id] = new Traffic();
        FakeBandwidthController fake = null;
        if (tc != null) {
            fake = new FakeBandwidthController();
            for (SharedPipe p : pipesOf.apply(id)) {
                fake.addDevice(p.device());
            }
            tc[id] = fake;
        }
        coordinators[id] = new PipeShareCoordinator(
                ExchangeAccess.of(id, () -> cluster.host(id).node(), cluster.net::now), pipesOf.apply(id),
                trafficOf == null ? traffic[id] : trafficOf.apply(id), fake);
        traffic[id].coordinator = coordinators[id];
    }

    SimHost host(int id) {
        return cluster.host(id);
    }

    PipeShareCoordinator coordinator(int id) {
        return coordinators[id];
    }

    int size() {
        return cluster.size();
    }

    /** Every host knows every other from the start, then ticks its coordinator each interval. */
    SharePool start() {
        cluster.startSeeded();
        for (int id = 1; id <= size(); id++) {
            scheduleRound(id, generation[id]);
        }
        return this;
    }

    private void scheduleRound(int id, int gen) {
        long now = cluster.net.now();
        long next = (Math.floorDiv(now, tickNanos) + 1) * tickNanos + phase[id];
        cluster.net.schedule(next, () -> {
            if (generation[id] != gen || !host(id).isAlive()) {
                return;
            }
            if (!host(id).isPaused()) {
                coordinators[id].tick(cluster.net.now());
            }
            scheduleRound(id, gen);
        });
    }

    void kill(int id) {
        host(id).kill();
        generation[id]++;
    }

    /** A fresh process with the same id (new coordinator, new exchange node) joining via {@code seed}. */
    void restart(int id, int seed) {
        generation[id]++;
        cluster.restart(id, seed);
        create(id);
        scheduleRound(id, generation[id]);
    }

    void runMillis(long ms) {
        cluster.runMillis(ms);
    }

    long now() {
        return cluster.net.now();
    }

    List<PipeShareCoordinator> live() {
        List<PipeShareCoordinator> out = new ArrayList<>();
        for (int id = 1; id <= size(); id++) {
            if (host(id).isAlive()) {
                out.add(coordinators[id]);
            }
        }
        return out;
    }
}
