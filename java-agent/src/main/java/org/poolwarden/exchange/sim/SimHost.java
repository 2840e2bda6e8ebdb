package org.poolwarden.exchange.sim;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Random;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeListener;
import org.poolwarden.exchange.ExchangeNode;
import org.poolwarden.exchange.wire.KeyRing;

/**
 * One simulated agent: an {@link ExchangeNode} driven by the virtual clock, as the Netty event loop drives it for
 * real. A paused host (GC-like stall) runs nothing; packets that arrive meanwhile wait in its socket buffer and are
 * processed when it resumes, then it ticks. A killed host is gone from the network.
 */
public final class SimHost implements SimNetwork.Endpoint {
    /** About 200 KB of socket buffer at typical packet sizes; beyond it the kernel would drop. */
    public static final int SOCKET_BUFFER_PACKETS = 512;
    /** Wall clock of the simulated pool at virtual time zero. */
    public static final long EPOCH_MILLIS = 1_780_000_000_000L;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final SimNetwork net;
    private final InetSocketAddress address;
    private final ExchangeNode node;
    private final ArrayDeque<Object[]> buffered = new ArrayDeque<>();
    private long scheduledWake = Long.MAX_VALUE;
    private long pausedUntil = Long.MIN_VALUE;
    private boolean alive = true;
    private long bufferDrops;
    private long cpuNanos;
    private boolean measureCpu;
    private long skewMillis;

    public SimHost(SimNetwork net, ExchangeConfig cfg, long id, int poolId, KeyRing keys, long seed, ExchangeListener listener) {
        this(net, cfg, id, poolId, keys, seed, listener, 0);
    }

    /** A host whose wall clock is already off by {@code skewMillis} when it boots. */
    public SimHost(SimNetwork net, ExchangeConfig cfg, long id, int poolId, KeyRing keys, long seed, ExchangeListener listener,
                   long skewMillis) {
        this.net = net;
        this.skewMillis = skewMillis;
        this.address = addressOf(id);
        this.node = new ExchangeNode(cfg, new ExchangeNode.Identity(id, address, poolId, keys), net.transportFor(address),
                () -> EPOCH_MILLIS + net.now() / 1_000_000 + this.skewMillis, new Random(seed), listener, net.now());
        net.attach(address, this);
    }

    /** 10.x.y.z:7946 for host id (1-based), so any id maps to a stable address. */
    public static InetSocketAddress addressOf(long id) {
        try {
            byte[] ip = {10, (byte) (id >>> 16), (byte) (id >>> 8), (byte) id};
            return new InetSocketAddress(InetAddress.getByAddress(ip), 7946);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public ExchangeNode node() {
        return node;
    }

    public InetSocketAddress address() {
        return address;
    }

    public boolean isAlive() {
        return alive;
    }

    public boolean isPaused() {
        return net.now() < pausedUntil;
    }

    public long cpuNanos() {
        return cpuNanos;
    }

    public long bufferDrops() {
        return bufferDrops;
    }

    public SimHost measureCpu(boolean on) {
        this.measureCpu = on;
        return this;
    }

    /** This host's wall clock runs ahead (or behind) the pool's by this much. */
    public void clockSkew(long millis) {
        this.skewMillis = millis;
    }

    public void start(List<InetSocketAddress> seeds) {
        if (!seeds.isEmpty()) {
            node.join(seeds, net.now());
        }
        scheduleWake(net.now());
    }

    public void kill() {
        alive = false;
        net.detach(address);
        buffered.clear();
    }

    /** A stall: nothing runs for {@code nanos}. */
    public void pause(long nanos) {
        if (!alive) {
            return;
        }
        long until = net.now() + nanos;
        if (until <= pausedUntil) {
            return;
        }
        pausedUntil = until;
        net.schedule(until, this::resume);
    }

    private void resume() {
        if (!alive || net.now() < pausedUntil) {
            return;
        }
        while (!buffered.isEmpty()) {
            Object[] p = buffered.poll();
            receive((InetSocketAddress) p[0], (byte[]) p[1]);
        }
        doTick();
    }

    @Override
    public void deliver(InetSocketAddress from, byte[] packet) {
        if (!alive) {
            return;
        }
        if (isPaused()) {
            if (buffered.size() >= SOCKET_BUFFER_PACKETS) {
                bufferDrops++;
            } else {
                buffered.add(new Object[] {from, packet});
            }
            return;
        }
        receive(from, packet);
    }

    private void receive(InetSocketAddress from, byte[] packet) {
        long t0 = measureCpu ? THREADS.getCurrentThreadCpuTime() : 0;
        node.receive(from, packet, 0, packet.length, net.now());
        if (measureCpu) {
            cpuNanos += THREADS.getCurrentThreadCpuTime() - t0;
        }
    }

    private void scheduleWake(long at) {
        if (at >= scheduledWake) {
            return;
        }
        scheduledWake = at;
        net.schedule(at, () -> wake(at));
    }

    private void wake(long at) {
        if (!alive || at != scheduledWake) {
            return; // superseded by an earlier wake
        }
        if (isPaused()) {
            return; // resume() ticks
        }
        doTick();
    }

    private void doTick() {
        scheduledWake = Long.MAX_VALUE;
        long t0 = measureCpu ? THREADS.getCurrentThreadCpuTime() : 0;
        long next = node.tick(net.now());
        if (measureCpu) {
            cpuNanos += THREADS.getCurrentThreadCpuTime() - t0;
        }
        scheduleWake(Math.max(next, net.now() + 1));
    }
}
