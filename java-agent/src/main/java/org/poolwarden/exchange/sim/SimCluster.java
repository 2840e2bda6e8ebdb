package org.poolwarden.exchange.sim;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeListener;
import org.poolwarden.exchange.membership.MemberEvent;
import org.poolwarden.exchange.wire.KeyRing;
import org.poolwarden.exchange.wire.Message;
import org.poolwarden.exchange.wire.PoolKey;

/** A pool of simulated hosts with ids 1..n on one {@link SimNetwork}, recording what each host observes. */
public final class SimCluster {
    public static final int POOL_ID = 4711;
    public static final KeyRing KEYS = KeyRing.of(new PoolKey(1, "simulated-pool-key-0123456789".getBytes(StandardCharsets.US_ASCII)));

    /** A membership event as seen by {@code observer}. */
    public record Observed(long observer, MemberEvent event) {
    }

    /** An entry version as first seen by {@code observer}. */
    public record Seen(long observer, long origin, String key, long version, long atNanos) {
    }

    /** Where observations go; the default keeps them in lists. */
    public interface Sink {
        void event(Observed o);

        void entry(Seen s);
    }

    public final SimNetwork net;
    private final ExchangeConfig cfg;
    private final long seed;
    private final List<SimHost> hosts = new ArrayList<>();
    public final List<Observed> events = new ArrayList<>();
    public final List<Seen> seen = new ArrayList<>();
    private Sink sink = new Sink() {
        @Override
        public void event(Observed o) {
            events.add(o);
        }

        @Override
        public void entry(Seen s) {
            seen.add(s);
        }
    };

    public SimCluster(long seed, ExchangeConfig cfg, int n) {
        this.net = new SimNetwork(seed);
        this.cfg = cfg;
        this.seed = seed;
        for (int i = 1; i <= n; i++) {
            hosts.add(newHost(i));
        }
    }

    public SimCluster sink(Sink s) {
        this.sink = s;
        return this;
    }

    private SimHost newHost(long id) {
        return newHost(id, 0);
    }

    private SimHost newHost(long id, long skewMillis) {
        ExchangeListener l = new ExchangeListener() {
            @Override
            public void onMemberEvent(MemberEvent e) {
                sink.event(new Observed(id, e));
            }

            @Override
            public void onEntry(Message.Entry e, long nowNanos) {
                sink.entry(new Seen(id, e.origin(), e.key(), e.version(), nowNanos));
            }
        };
        return new SimHost(net, cfg, id, POOL_ID, KEYS, seed * 1_000_003L + id, l, skewMillis);
    }

    /** Host by id (1-based). */
    public SimHost host(long id) {
        return hosts.get((int) id - 1);
    }

    public List<SimHost> hosts() {
        return hosts;
    }

    public int size() {
        return hosts.size();
    }

    /** Every host joins through host 1 (host 1 starts alone). Events of the join are recorded. */
    public void startJoiningVia(long seedId) {
        InetSocketAddress seedAddr = SimHost.addressOf(seedId);
        for (SimHost h : hosts) {
            h.start(h.node().id() == seedId ? List.of() : List.of(seedAddr));
        }
    }

    /** Every host starts knowing every other (a restored member list): no join storm, for large benchmarks. */
    public void startSeeded() {
        long now = net.now();
        for (SimHost h : hosts) {
            for (SimHost o : hosts) {
                h.node().seedMember(o.node().id(), o.address(), now);
            }
        }
        for (SimHost h : hosts) {
            h.start(List.of());
        }
    }

    /** Kills host {@code id} and starts a fresh process with the same id and address, joining via {@code seedId}. */
    public SimHost restart(long id, long seedId) {
        return restart(id, seedId, 0);
    }

    /** As {@link #restart(long, long)}, with the new process's clock off by {@code skewMillis}. */
    public SimHost restart(long id, long seedId, long skewMillis) {
        SimHost old = host(id);
        old.kill();
        SimHost fresh = newHost(id, skewMillis);
        hosts.set((int) id - 1, fresh);
        fresh.start(List.of(SimHost.addressOf(seedId)));
        return fresh;
    }

    public void runMillis(long millis) {
        net.runFor(millis * 1_000_000L);
    }

    /** Whether every live host sees every other live host as alive. */
    public boolean converged() {
        int live = 0;
        for (SimHost h : hosts) {
            if (h.isAlive()) {
                live++;
            }
        }
        for (SimHost h : hosts) {
            if (h.isAlive() && h.node().activeMembers() != live) {
                return false;
            }
        }
        return true;
    }
}
