package org.poolwarden.exchange.sim;

import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import org.poolwarden.exchange.transport.Transport;

/**
 * A deterministic discrete-event network in one JVM: a virtual clock, per-packet latency with jitter, random loss,
 * partitions, and hosts that can be paused (see {@link SimHost}). Same seed, same run. No threads, no sleeping.
 */
public final class SimNetwork {

    private record Event(long at, long seq, Runnable action) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    /** Receives packets addressed to it. */
    public interface Endpoint {
        void deliver(InetSocketAddress from, byte[] packet);
    }

    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final Random rnd;
    private final Map<InetSocketAddress, Endpoint> endpoints = new HashMap<>();
    private final Map<InetSocketAddress, Integer> partitionOf = new HashMap<>();
    private final Map<InetSocketAddress, Long> inboundDelay = new HashMap<>();
    private long now;
    private long eventSeq;
    private long latencyNanos = 200_000;
    private long jitterNanos = 300_000;
    private double loss;
    private long sent;
    private long lost;
    private long partitioned;
    private long undeliverable;
    private long bytesSent;

    public SimNetwork(long seed) {
        this.rnd = new Random(seed);
    }

    public long now() {
        return now;
    }

    public Random random() {
        return rnd;
    }

    /** One-way latency = base + uniform(0, jitter). */
    public SimNetwork latency(long baseNanos, long jitterNanos) {
        this.latencyNanos = baseNanos;
        this.jitterNanos = jitterNanos;
        return this;
    }

    /** Probability each packet is lost. */
    public SimNetwork loss(double probability) {
        this.loss = probability;
        return this;
    }

    /** Cuts these addresses off from all others (each call makes a new side). */
    public void partition(Collection<InetSocketAddress> side) {
        int group = partitionOf.values().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
        for (InetSocketAddress a : side) {
            partitionOf.put(a, group);
        }
    }

    /** Every packet to {@code address} takes this much longer (a host with a congested link or a starved receiver). */
    public void slowInbound(InetSocketAddress address, long extraNanos) {
        inboundDelay.put(address, extraNanos);
    }

    public void heal() {
        partitionOf.clear();
    }

    public void schedule(long at, Runnable action) {
        queue.add(new Event(Math.max(at, now), eventSeq++, action));
    }

    /** Runs every event up to and including {@code until}; the clock ends at {@code until}. */
    public void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().at <= until) {
            Event e = queue.poll();
            now = e.at;
            e.action.run();
        }
        now = Math.max(now, until);
    }

    public void runFor(long nanos) {
        runUntil(now + nanos);
    }

    public void attach(InetSocketAddress address, Endpoint endpoint) {
        endpoints.put(address, endpoint);
    }

    public void detach(InetSocketAddress address) {
        endpoints.remove(address);
    }

    public Transport transportFor(InetSocketAddress self) {
        return (to, packet) -> send(self, to, packet);
    }

    void send(InetSocketAddress from, InetSocketAddress to, byte[] packet) {
        sent++;
        bytesSent += packet.length;
        if (loss > 0 && rnd.nextDouble() < loss) {
            lost++;
            return;
        }
        if (!partitionOf.getOrDefault(from, 0).equals(partitionOf.getOrDefault(to, 0))) {
            partitioned++;
            return;
        }
        long delay = latencyNanos + (jitterNanos > 0 ? (long) (rnd.nextDouble() * jitterNanos) : 0)
                + inboundDelay.getOrDefault(to, 0L);
        schedule(now + delay, () -> {
            Endpoint e = endpoints.get(to);
            if (e == null) {
                undeliverable++;
            } else {
                e.deliver(from, packet);
            }
        });
    }

    public long packetsSent() {
        return sent;
    }

    public long packetsLost() {
        return lost;
    }

    public long packetsPartitioned() {
        return partitioned;
    }

    public long packetsUndeliverable() {
        return undeliverable;
    }

    public long bytesSent() {
        return bytesSent;
    }
}
