package org.poolwarden.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.exchange.ExchangeNode;
import org.poolwarden.exchange.transport.UdpExchange;
import org.poolwarden.exchange.wire.KeyRing;
import org.poolwarden.exchange.wire.PoolKey;
import org.poolwarden.os.Netns;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.policy.PolicyCatalog;
import org.poolwarden.pool.share.ExchangeAccess;
import org.poolwarden.pool.share.HtbPipeTraffic;
import org.poolwarden.pool.share.PipeShareCoordinator;
import org.poolwarden.pool.share.ShareCounters;
import org.poolwarden.pool.share.SharedPipe;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.BandwidthStats;
import org.poolwarden.tc.bandwidth.FlowMatch;
import org.poolwarden.tc.bandwidth.RtnetlinkBandwidthController;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Lab;

/**
 * Three hosts share one 30 Mbit/s bottleneck (a router namespace with HTB on its egress toward a sink namespace).
 * Each host runs a pool member: a {@link PipeShareCoordinator} with its own exchange node on a real Netty UDP socket
 * bound inside its namespace and its own rtnetlink bandwidth controller opened there (three members in this JVM,
 * each on its own event loop; they share nothing but the network). Bookings 50/30/20%, every host saturating with
 * iperf3: goodput follows the bookings; one host stops: the others take its part within a second; the bottleneck
 * is never offered more than 5% over its rate.
 */
@KernelTest(needs = {"ip", "nsenter", "tc", "ss", "iperf3"})
class SharedPipeKernelTest {

    static final long BOTTLENECK_BITS = 30_000_000L;
    static final double[] BOOKED = {0.5, 0.3, 0.2};
    static final String[] APP = {"a", "b", "c"};
    static final int PORT = 7946;
    /** TCP payload per wire byte as both HTBs count it: 1448 of 1514 (Ethernet + IP + TCP with timestamps). */
    static final double PAYLOAD = 1448.0 / 1514.0;
    static final long TICK = PipeConfig.DEFAULT_TICK_NANOS;
    /** Which interval's entries a round allocates from (see decisionLag); -Dpw.lag=2 to compare. */
    static final int LAG = Integer.getInteger("pw.lag", PipeShareCoordinator.DEFAULT_DECISION_LAG);

    /** One pool member: exchange node on its event loop, coordinator and tc controller used only from that loop. */
    static final class Member implements AutoCloseable {
        final int index;
        final String device;
        final RtnetlinkBandwidthController tc;
        final RtnetlinkBandwidthController probe; // stats for the test thread, its own socket
        final PipeShareCoordinator coordinator;
        final UdpExchange exchange;

        Member(int index, Lab.Host host, String device, InetSocketAddress self, List<InetSocketAddress> seeds,
               InetAddress sink) throws Exception {
            this.index = index;
            this.device = device;
            this.tc = RtnetlinkBandwidthController.open(host.netns());
            this.probe = RtnetlinkBandwidthController.open(host.netns());
            TreeMap<String, Integer> apps = new TreeMap<>();
            apps.put(APP[index], 0x10);
            SharedPipe pipe = new SharedPipe(PipeConfig.of("wan", BOTTLENECK_BITS / 8), device, 10_000_000_000L, apps,
                    0x2, List.of(new BandwidthSpec.Classifier(1, FlowMatch.dst((java.net.Inet4Address) sink, 32), 0x10)),
                    Set.of());
            AtomicReference<ExchangeNode> node = new AtomicReference<>();
            long id = index + 1;
            this.coordinator = new PipeShareCoordinator(ExchangeAccess.of(id, node::get, System::nanoTime),
                    List.of(pipe), new HtbPipeTraffic(tc), tc).decisionLag(LAG);
            KeyRing keys = KeyRing.of(new PoolKey(1, "kernel-test-pool-key-0123456789".getBytes(StandardCharsets.US_ASCII)));
            // the socket is created by the calling thread, so it belongs to the host's namespace from then on
            this.exchange = Netns.call(host.netns(), () -> UdpExchange.start(ExchangeConfig.lan(), id, self, null, 77,
                    keys, seeds, coordinator, UdpExchange.Mode.AUTO));
            exchange.call(n -> {
                node.set(n);
                return null;
            });
        }

        void tick(long epochNanos) throws Exception {
            exchange.call(n -> {
                coordinator.tick(epochNanos);
                return null;
            });
        }

        <T> T onLoop(java.util.function.Function<PipeShareCoordinator, T> f) throws Exception {
            return exchange.call(n -> f.apply(coordinator));
        }

        long rootBytes() {
            BandwidthStats s = probe.stats(device);
            return s.egress().stream().filter(c -> c.minor() == 1).mapToLong(BandwidthStats.ClassCounters::bytes)
                    .findFirst().orElse(0);
        }

        @Override
        public void close() {
            exchange.close();
            tc.close();
            probe.close();
        }
    }

    static long epochNanos() {
        Instant i = Instant.now();
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    }

    /** One sample of the bottleneck and of each host's own tree. */
    record Sample(long atNanos, long[] hostBytes, long routerBytes, long routerDrops, long routerBacklog) {
    }

    /** Bytes sent, packets dropped and bytes queued in the bottleneck's leaf class (5057:10). */
    static long[] routerCounters(RtnetlinkBandwidthController probe, String dev) {
        BandwidthStats.ClassCounters c = probe.stats(dev).egress().stream().filter(x -> x.minor() == 0x10)
                .findFirst().orElseThrow(() -> new AssertionError("no bottleneck class on " + dev));
        return new long[] {c.bytes(), c.drops(), c.backlogBytes()};
    }

    @Test
    void threeHostsShareABottleneckByBookingAndTakeOverAStoppedHostsPart() throws Exception {
        try (Lab lab = Lab.create()) {
            Lab.Host[] h = {lab.host("a"), lab.host("b"), lab.host("c")};
            Lab.Host r = lab.host("r");
            Lab.Host s = lab.host("s");
            String[] dev = new String[3];
            String[] addr = new String[3];
            for (int i = 0; i < 3; i++) {
                addr[i] = "10.77.1" + i + ".2";
                dev[i] = lab.link(h[i], addr[i] + "/24", r, "10.77.1" + i + ".1/24").ifA();
                h[i].sh("ip route add default via 10.77.1" + i + ".1");
            }
            String toSink = lab.link(r, "10.77.20.1/24", s, "10.77.20.2/24").ifA();
            s.sh("ip route add default via 10.77.20.1");
            r.sh("sysctl -qw net.ipv4.ip_forward=1");
            // the bottleneck: one FIFO class at 30 Mbit/s, so only the hosts' own shaping decides who gets what
            // (handle 5057: so that the rtnetlink probe's class dump reads it in well under a millisecond)
            r.sh("tc qdisc add dev " + toSink + " root handle 5057: htb default 10"
                    + " && tc class add dev " + toSink + " parent 5057: classid 5057:1 htb rate 30mbit ceil 30mbit"
                    + " && tc class add dev " + toSink + " parent 5057:1 classid 5057:10 htb rate 30mbit ceil 30mbit"
                    + " && tc qdisc add dev " + toSink + " parent 5057:10 handle 10: pfifo limit 200");
            RtnetlinkBandwidthController routerProbe = RtnetlinkBandwidthController.open(r.netns());
            InetAddress sink = InetAddress.getByName("10.77.20.2");

            List<Member> members = new ArrayList<>();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread driver = null;
            try {
                InetSocketAddress first = new InetSocketAddress(addr[0], PORT);
                for (int i = 0; i < 3; i++) {
                    members.add(new Member(i, h[i], dev[i], new InetSocketAddress(addr[i], PORT),
                            i == 0 ? List.of() : List.of(first), sink));
                }
                // one control thread ticks every member just after each interval starts (NTP-aligned hosts)
                driver = new Thread(() -> {
                    try {
                        while (running.get()) {
                            long now = epochNanos();
                            long next = (now / TICK + 1) * TICK + 1_000_000;
                            TimeUnit.NANOSECONDS.sleep(next - now);
                            long t = epochNanos();
                            for (Member m : members) {
                                m.tick(t);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, "pool-share-driver");
                driver.setDaemon(true);
                driver.start();

                for (int i = 0; i < 3; i++) {
                    final int k = i;
                    members.get(0).onLoop(c -> c.setPolicy("pipe/wan/" + APP[k],
                            PolicyCatalog.body(BOOKED[k] * 100, 1)));
                }
                // membership and policies converge (polled, real network)
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                boolean ready = false;
                while (!ready && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    ready = true;
                    for (Member m : members) {
                        int alive = m.exchange.call(ExchangeNode::activeMembers);
                        int pols = m.onLoop(c -> c.policies().size());
                        ready &= alive == 3 && pols == 3;
                    }
                }
                assertTrue(ready, "three members and three policies everywhere within 10 s");

                // traffic: one iperf3 server per host on the sink; host c stops after 8 s
                Process[] servers = new Process[3];
                for (int i = 0; i < 3; i++) {
                    servers[i] = s.start("iperf3", "-s", "-1", "-J", "-i", "0.5", "-p", Integer.toString(5301 + i));
                }
                waitForListeners(s);
                long[] started = new long[3];
                Process[] clients = new Process[3];
                int[] seconds = {14, 14, 8};
                for (int i = 0; i < 3; i++) {
                    started[i] = System.nanoTime();
                    clients[i] = h[i].start("iperf3", "-c", "10.77.20.2", "-p", Integer.toString(5301 + i), "-t",
                            Integer.toString(seconds[i]));
                }
                long t0 = started[0];
                List<Sample> samples = new ArrayList<>();
                while (System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(14) + TimeUnit.MILLISECONDS.toNanos(300)) {
                    long at = System.nanoTime() - t0; // before the host reads; the router's tc command is slower
                    long[] hb = new long[3];
                    for (int i = 0; i < 3; i++) {
                        hb[i] = members.get(i).rootBytes();
                    }
                    long[] rc = routerCounters(routerProbe, toSink);
                    if (System.getenv("PW_TRACE") != null) {
                        StringBuilder tr = new StringBuilder(String.format(Locale.ROOT, "%6.2f", (System.nanoTime() - t0) / 1e9));
                        for (Member m : members) {
                            Object g = m.onLoop(c -> c.grant("wan").map(x -> x.bookedBytes() + "/" + x.unbookedBytes() + "/" + x.immediateBytes()).orElse("-")
                                    + " pub=" + c.published("wan").map(p -> (long) p.bookedBytes() + "/" + (long) p.unbookedBytes()).orElse("-"));
                            tr.append(" | ").append(g);
                        }
                        System.out.println(tr);
                    }
                    samples.add(new Sample(at, hb, rc[0], rc[1], rc[2]));
                    Thread.sleep(50);
                }
                for (Process c : clients) {
                    assertTrue(c.waitFor(20, TimeUnit.SECONDS), "iperf3 client ends");
                }
                ObjectMapper json = new ObjectMapper();
                JsonNode[] reports = new JsonNode[3];
                for (int i = 0; i < 3; i++) {
                    assertTrue(servers[i].waitFor(20, TimeUnit.SECONDS), "iperf3 server " + i + " ends");
                    reports[i] = json.readTree(servers[i].getInputStream());
                }

                // 1. all saturating, 3-7.5 s: goodput follows the bookings
                double capacityGoodput = BOTTLENECK_BITS * PAYLOAD;
                double[] phase1 = new double[3];
                StringBuilder report = new StringBuilder();
                for (int i = 0; i < 3; i++) {
                    phase1[i] = goodput(reports[i], started[i] - t0, 3.0, 7.5);
                    report.append(String.format(Locale.ROOT, "host %s goodput %.2f Mbit/s (share %.2f); ", APP[i],
                            phase1[i] / 1e6, BOOKED[i] * capacityGoodput / 1e6));
                }
                // what each host's own tree let out in the same window (wire bytes), to tell shaping from TCP
                Sample w0 = null;
                Sample w1 = null;
                for (Sample x : samples) {
                    if (w0 == null && x.atNanos() >= 3_000_000_000L) {
                        w0 = x;
                    }
                    if (x.atNanos() <= 7_500_000_000L) {
                        w1 = x;
                    }
                }
                for (int i = 0; i < 3; i++) {
                    double wire = (w1.hostBytes()[i] - w0.hostBytes()[i]) * 8e9 / (w1.atNanos() - w0.atNanos());
                    report.append(String.format(Locale.ROOT, "host %s tree %.2f Mbit/s on the wire; ", APP[i],
                            wire / 1e6));
                }
                // 2. c stops at 8 s: a and b together, from 1 s later on
                double after = goodput(reports[0], started[0] - t0, 9.0, 13.5)
                        + goodput(reports[1], started[1] - t0, 9.0, 13.5);
                double firstSecond = goodput(reports[0], started[0] - t0, 9.0, 10.0)
                        + goodput(reports[1], started[1] - t0, 9.0, 10.0);
                report.append(String.format(Locale.ROOT, "a+b after c stopped: %.2f Mbit/s (9-10 s: %.2f); ",
                        after / 1e6, firstSecond / 1e6));
                // 3. the bottleneck: bytes the hosts' trees let out per 1 s window, and what the router dropped
                double worstOffered = 0;
                double worstAt = -1;
                double worstArrived = 0;
                double worstArrivedAt = -1;
                for (int k = 0; k < samples.size(); k++) {
                    for (int j = k + 1; j < samples.size(); j++) {
                        double dt = (samples.get(j).atNanos() - samples.get(k).atNanos()) / 1e9;
                        if (dt >= 1.0) {
                            long bytes = 0;
                            for (int i = 0; i < 3; i++) {
                                bytes += samples.get(j).hostBytes()[i] - samples.get(k).hostBytes()[i];
                            }
                            if (bytes * 8 / dt > worstOffered) {
                                worstOffered = bytes * 8 / dt;
                                worstAt = samples.get(k).atNanos() / 1e9;
                            }
                            // what arrived at the bottleneck: sent on, still queued, or dropped there
                            Sample x = samples.get(k);
                            Sample y = samples.get(j);
                            double arrived = (y.routerBytes() - x.routerBytes() + y.routerBacklog() - x.routerBacklog()
                                    + (y.routerDrops() - x.routerDrops()) * 1514.0) * 8 / dt;
                            if (arrived > worstArrived) {
                                worstArrived = arrived;
                                worstArrivedAt = x.atNanos() / 1e9;
                            }
                            break;
                        }
                    }
                }
                Sample last = samples.get(samples.size() - 1);
                long routerPackets = last.routerBytes() - samples.get(0).routerBytes();
                long drops = last.routerDrops() - samples.get(0).routerDrops();
                long maxBacklog = samples.stream().mapToLong(Sample::routerBacklog).max().orElse(0);
                report.append(String.format(Locale.ROOT, "worst 1 s arriving at the bottleneck %.2f Mbit/s "
                        + "(%.1f%% of 30) from %.1f s; worst 1 s the hosts' trees let out %.2f Mbit/s (%.1f%%, "
                        + "exchange packets included) from %.1f s; router drops %d, max backlog %d B; ",
                        worstArrived / 1e6, 100 * worstArrived / BOTTLENECK_BITS, worstArrivedAt, worstOffered / 1e6,
                        100 * worstOffered / BOTTLENECK_BITS, worstAt, drops, maxBacklog));
                for (Member m : members) {
                    ShareCounters c = m.onLoop(PipeShareCoordinator::counters);
                    Object snapshot = m.onLoop(x -> x.counters().snapshot());
                    report.append(APP[m.index]).append(' ').append(snapshot).append("; ");
                    assertEquals(0, c.get(ShareCounters.Counter.TC_ERRORS), "tc errors on " + APP[m.index]);
                }
                System.out.println("shared pipe kernel test: " + report);

                for (int i = 0; i < 3; i++) {
                    double share = BOOKED[i] * capacityGoodput;
                    assertEquals(share, phase1[i], 0.05 * share, "goodput of host " + APP[i] + ": " + report);
                }
                assertTrue(after >= 0.95 * capacityGoodput, "a and b take c's part: " + report);
                assertTrue(firstSecond >= 0.95 * capacityGoodput, "within 1 s: " + report);
                assertTrue(worstArrived <= 1.05 * BOTTLENECK_BITS, "bottleneck overrun: " + report);
                assertTrue(routerPackets > 0, "the bottleneck carried the traffic");
            } finally {
                routerProbe.close();
                running.set(false);
                if (driver != null) {
                    driver.join(2000);
                }
                for (Member m : members) {
                    m.close();
                }
            }
        }
    }

    /** Receiver goodput (bit/s) of one iperf3 server report between two test times (seconds since t0). */
    static double goodput(JsonNode report, long offsetNanos, double from, double to) {
        double off = offsetNanos / 1e9;
        double bytes = 0;
        double secs = 0;
        for (JsonNode iv : report.path("intervals")) {
            JsonNode sum = iv.path("sum");
            double start = sum.path("start").asDouble() + off;
            double end = sum.path("end").asDouble() + off;
            if (start >= from - 1e-3 && end <= to + 0.25) {
                bytes += sum.path("bytes").asDouble();
                secs += sum.path("seconds").asDouble();
            }
        }
        if (secs <= 0) {
            throw new AssertionError("no iperf3 intervals between " + from + " and " + to + " s: " + report);
        }
        return bytes * 8 / secs;
    }

    static void waitForListeners(Lab.Host s) throws InterruptedException {
        for (int i = 0; i < 300; i++) {
            String out = s.run("ss", "-Hltn").stdout();
            if (out.contains(":5301") && out.contains(":5302") && out.contains(":5303")) {
                return;
            }
            Thread.sleep(10); // real processes starting; polled
        }
        throw new AssertionError("iperf3 servers do not listen");
    }
}
