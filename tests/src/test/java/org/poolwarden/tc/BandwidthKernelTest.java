package org.poolwarden.tc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.poolwarden.tc.bandwidth.ApplyReport;
import org.poolwarden.tc.bandwidth.BandwidthSpec;
import org.poolwarden.tc.bandwidth.BandwidthStats;
import org.poolwarden.tc.bandwidth.FlowMatch;
import org.poolwarden.tc.bandwidth.RtnetlinkBandwidthController;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Iperf;
import org.poolwarden.testkit.Lab;

/**
 * Bandwidth enforcement on real links: two namespaces joined by a veth pair, iperf3 flows steered into HTB classes
 * by u32 filters on the destination port (nftables priority marking is nft-rules' part and tested there).
 */
@KernelTest(needs = {"iperf3", "ip", "nsenter", "ping"})
class BandwidthKernelTest {
    static final long MBIT = 1_000_000;
    static final int A = 0x10;
    static final int B = 0x20;
    static final int PING = 0x30;
    static final int DEFAULT = 0x7000;
    static final double TOLERANCE = 0.05;

    static BandwidthSpec.TreeSpec pipe40(long aRate, long aCeil, long bRate, long bCeil) {
        return new BandwidthSpec.TreeSpec(40 * MBIT, new BandwidthSpec.DefaultClass(DEFAULT, MBIT, 40 * MBIT),
                List.of(new BandwidthSpec.AppClass("a", A, aRate, aCeil), new BandwidthSpec.AppClass("b", B, bRate, bCeil)),
                List.of(new BandwidthSpec.Classifier(10, FlowMatch.dport(6, 5201), A),
                        new BandwidthSpec.Classifier(11, FlowMatch.dport(6, 5202), B)));
    }

    /** a and b as above, plus a small class for ICMP (a latency-sensitive app). */
    static BandwidthSpec.TreeSpec pipe40WithPing() {
        return new BandwidthSpec.TreeSpec(40 * MBIT, new BandwidthSpec.DefaultClass(DEFAULT, MBIT, 40 * MBIT),
                List.of(new BandwidthSpec.AppClass("a", A, 29 * MBIT, 40 * MBIT),
                        new BandwidthSpec.AppClass("b", B, 10 * MBIT, 40 * MBIT),
                        new BandwidthSpec.AppClass("ping", PING, MBIT, 40 * MBIT)),
                List.of(new BandwidthSpec.Classifier(10, FlowMatch.dport(6, 5201), A),
                        new BandwidthSpec.Classifier(11, FlowMatch.dport(6, 5202), B),
                        new BandwidthSpec.Classifier(12, new FlowMatch(1, null, 0, null, 0, null, null), PING)));
    }

    /**
     * Namespaces a and b joined by a veth pair (a 10.77.0.1, b 10.77.0.2), iperf3 servers in b on {@code ports}, and
     * a controller in the namespace that shapes: a for egress, b for ingress.
     */
    static final class TwoHosts implements AutoCloseable {
        final Lab lab;
        final Lab.Host a;
        final Lab.Host b;
        final Lab.Link link;
        final RtnetlinkBandwidthController c;

        TwoHosts(boolean shapeB, int... ports) {
            lab = Lab.create();
            try {
                a = lab.host("a");
                b = lab.host("b");
                link = lab.link(a, "10.77.0.1/24", b, "10.77.0.2/24");
                for (int port : ports) {
                    Iperf.server(b, port);
                }
                c = RtnetlinkBandwidthController.open((shapeB ? b : a).netns());
            } catch (RuntimeException e) {
                lab.close();
                throw e;
            }
        }

        /** Shapes a's egress with {@code tree} on a 1 Gbit link. */
        ApplyReport egress(BandwidthSpec.TreeSpec tree) {
            return c.apply(BandwidthSpec.egressOnly(link.ifA(), 1000 * MBIT, tree));
        }

        /** A TCP client in a towards b's {@code port}. */
        Process client(int port, int seconds, int omit) {
            return Iperf.client(a, "10.77.0.2", port, seconds, omit);
        }

        @Override
        public void close() {
            try {
                c.close();
            } finally {
                lab.close();
            }
        }
    }

    /** The client's report, which must come from a run that exited cleanly. */
    static Iperf.Report finished(Process client) throws Exception {
        Iperf.Report r = Iperf.await(client, 30);
        assertEquals(0, r.exitCode(), r.raw());
        return r;
    }

    static void assertNear(double expected, double actual, double tolerance, String what) {
        double err = Math.abs(actual - expected) / expected;
        assertTrue(err <= tolerance, String.format("%s: %.2f Mbit/s, expected %.2f ± %.0f%% (off by %.1f%%)", what,
                actual / 1e6, expected / 1e6, tolerance * 100, err * 100));
    }

    @Test
    void bookingsSplitASaturatedPipeAndTheSurvivorBorrowsUpToItsCeil() throws Exception {
        try (TwoHosts h = new TwoHosts(false, 5201, 5202)) {
            h.egress(pipe40(30 * MBIT, 40 * MBIT, 10 * MBIT, 40 * MBIT));
            Thread.sleep(300); // servers listening
            // a runs 7 s; b runs the first 3 s: both saturate, then a is alone and borrows
            Process pa = h.client(5201, 7, 0);
            Process pb = h.client(5202, 3, 0);
            Iperf.Report rb = finished(pb);
            Iperf.Report ra = finished(pa);
            double g = Iperf.TCP_GOODPUT_RATIO;
            double bothA = ra.meanBetween(0.5, 3.0);
            double bothB = rb.meanBetween(0.5, 3.0);
            assertTrue(ra.intervals().size() >= 12 && rb.intervals().size() >= 5, "receiver intervals: " + ra.raw());
            double aloneA = ra.meanBetween(4.0, 7.0);
            System.out.printf("two classes 30/10 on 40 Mbit: a %.2f, b %.2f Mbit/s; a alone %.2f Mbit/s%n",
                    bothA / 1e6, bothB / 1e6, aloneA / 1e6);
            assertNear(30 * MBIT * g, bothA, TOLERANCE, "a (booking 30) next to b");
            assertNear(10 * MBIT * g, bothB, TOLERANCE, "b (booking 10) next to a");
            assertNear(40 * MBIT * g, aloneA, TOLERANCE, "a alone borrows up to its ceil of 40");
            BandwidthStats s = h.c.stats(h.link.ifA());
            assertTrue(s.egress("a").orElseThrow().bytes() > s.egress("b").orElseThrow().bytes() * 3,
                    "class counters follow the split: " + s);
        }
    }

    /** One reading of a class's byte counter, with the time it was taken (midpoint of a quick round trip). */
    record Sample(long nanos, long bytes) {
    }

    /**
     * Polls a's class counter every 5 ms until {@code untilNanos}; keeps only readings whose round trip took under
     * 2 ms, so each one's time is known to within a millisecond even on a loaded machine.
     */
    static List<Sample> poll(RtnetlinkBandwidthController c, String dev, long untilNanos) throws InterruptedException {
        List<Sample> out = new ArrayList<>();
        while (System.nanoTime() < untilNanos) {
            long t1 = System.nanoTime();
            long bytes = c.stats(dev).egress("a").orElseThrow().bytes();
            long t2 = System.nanoTime();
            if (t2 - t1 < 2_000_000) {
                out.add(new Sample((t1 + t2) / 2, bytes));
            }
            Thread.sleep(5);
        }
        return out;
    }

    /** Bits per second between the first sample at or after {@code from} and the last one. */
    static double rateFrom(List<Sample> samples, long from) {
        Sample first = samples.stream().filter(s -> s.nanos() >= from).findFirst().orElseThrow();
        Sample last = samples.get(samples.size() - 1);
        assertTrue(last.nanos() - first.nanos() > 300_000_000L, "enough clean samples: " + samples.size());
        return (last.bytes() - first.bytes()) * 8e9 / (last.nanos() - first.nanos());
    }

    @Test
    void aRateChangeUnderLoadTakesEffectWithin100msWithoutResettingTheConnection() throws Exception {
        try (TwoHosts h = new TwoHosts(false, 5201)) {
            h.egress(pipe40(30 * MBIT, 40 * MBIT, 10 * MBIT, 40 * MBIT));
            Thread.sleep(300);
            Process pa = h.client(5201, 5, 0);
            Thread.sleep(1500);
            List<Sample> before = poll(h.c, h.link.ifA(), System.nanoTime() + 500_000_000L);
            long t0 = System.nanoTime();
            ApplyReport r = h.egress(pipe40(5 * MBIT, 10 * MBIT, 10 * MBIT, 40 * MBIT));
            long t1 = System.nanoTime();
            assertEquals(1, r.changesSent(), "only a's class changes: " + r.changes());
            List<Sample> after = poll(h.c, h.link.ifA(), t1 + 1_100_000_000L);
            Iperf.Report ra = Iperf.await(pa, 30);
            double rateBefore = rateFrom(before, 0);
            // The change is in force once the kernel acknowledged it (t1); from t1 + 100 ms on the class must
            // run at the new ceil. (How long the apply itself takes is measured by the tc benchmark.)
            double rateAfter = rateFrom(after, t1 + 100_000_000L);
            System.out.printf("rate change 40 -> 10 Mbit ceil under load: apply %.2f ms; class rate before %.2f, "
                    + "from +100 ms %.2f Mbit/s (wire bytes); %d/%d clean samples%n", (t1 - t0) / 1e6,
                    rateBefore / 1e6, rateAfter / 1e6, before.size(), after.size());
            assertTrue(rateBefore > 35 * MBIT, String.format("%.2f Mbit/s before the change", rateBefore / 1e6));
            // class bytes include every header: compare with the ceil itself, +5% for the queued burst
            assertTrue(rateAfter <= 10 * MBIT * 1.05, String.format("%.2f Mbit/s after the change", rateAfter / 1e6));
            assertTrue(rateAfter >= 10 * MBIT * 0.8, String.format("%.2f Mbit/s: the flow stalled", rateAfter / 1e6));
            assertEquals(0, ra.exitCode(), "the connection survived the change: " + ra.raw());
            assertTrue(ra.receivedBitsPerSecond() > 0);
        }
    }

    @Test
    void aNewFlowExceedsItsClassRateInItsFirstSecondByAtMostTenPercentPlusTheBurst() throws Exception {
        try (TwoHosts h = new TwoHosts(false, 5201)) {
            h.egress(pipe40(10 * MBIT, 10 * MBIT, 10 * MBIT, 40 * MBIT));
            Thread.sleep(300);
            Iperf.Report ra = finished(h.client(5201, 2, 0));
            double firstSecond = ra.meanBetween(0.0, 1.0);
            // cburst = rate/HZ + mtu = 1601 bytes at 10 Mbit (HZ 1e9 from /proc/net/psched)
            double limit = 10 * MBIT * 1.10 + 1601 * 8;
            System.out.printf("new flow in a 10 Mbit class: %.2f Mbit/s received in its first second (limit %.2f)%n",
                    firstSecond / 1e6, limit / 1e6);
            assertTrue(firstSecond <= limit, String.format("%.2f Mbit/s in the first second", firstSecond / 1e6));
            assertTrue(firstSecond >= 10 * MBIT * Iperf.TCP_GOODPUT_RATIO * 0.8, "and it did get its rate");
        }
    }

    @Test
    void aPingNextToASaturatingNeighbourIsBarelyDelayed() throws Exception {
        try (TwoHosts h = new TwoHosts(false, 5201)) {
            h.egress(pipe40WithPing());
            double idle = pingAverageMillis(h.a);
            Thread.sleep(200);
            Process pa = h.client(5201, 5, 0);
            Thread.sleep(1000);
            double loaded = pingAverageMillis(h.a);
            finished(pa);
            BandwidthStats s = h.c.stats(h.link.ifA());
            System.out.printf("ping next to a saturating class: idle %.3f ms, loaded %.3f ms, added %.3f ms; "
                    + "a's class dropped %d packets, overlimits %d%n", idle, loaded, loaded - idle,
                    s.egress("a").orElseThrow().drops(), s.egress("a").orElseThrow().overlimits());
            assertTrue(s.egress("ping").orElseThrow().packets() >= 40, "pings went through their own class: " + s);
            assertTrue(s.egress("a").orElseThrow().overlimits() > 0, "the neighbour really was held back");
            // a 32-packet FIFO in the neighbour's class would cost ~10 ms at 40 Mbit if we shared it
            assertTrue(loaded - idle < 2.0, String.format("ping delay added %.3f ms", loaded - idle));
        }
    }

    @Test
    void ingressIsSplitOnTheIfbByDestinationPort() throws Exception {
        try (TwoHosts h = new TwoHosts(true, 5201, 5202)) {
            // shape what b receives: its veth end's ingress goes through the IFB's HTB tree
            h.c.apply(new BandwidthSpec(h.link.ifB(), 1000 * MBIT, null,
                    pipe40(30 * MBIT, 40 * MBIT, 10 * MBIT, 40 * MBIT), false));
            Thread.sleep(300);
            Process pa = h.client(5201, 5, 1);
            Process pb = h.client(5202, 5, 1);
            Iperf.Report ra = finished(pa);
            Iperf.Report rb = finished(pb);
            double g = Iperf.TCP_GOODPUT_RATIO;
            System.out.printf("ingress split on the IFB, bookings 30/10 of 40 Mbit: a %.2f, b %.2f Mbit/s received%n",
                    ra.receivedBitsPerSecond() / 1e6, rb.receivedBitsPerSecond() / 1e6);
            assertNear(30 * MBIT * g, ra.receivedBitsPerSecond(), TOLERANCE, "a (ingress booking 30)");
            assertNear(10 * MBIT * g, rb.receivedBitsPerSecond(), TOLERANCE, "b (ingress booking 10)");
            BandwidthStats s = h.c.stats(h.link.ifB());
            assertTrue(s.ingress("a").orElseThrow().bytes() > 0 && s.ingress("b").orElseThrow().bytes() > 0, s.toString());
            assertTrue(s.egress().isEmpty(), "no egress tree was asked for");
        }
    }

    static double pingAverageMillis(Lab.Host h) {
        Lab.Result r = h.run("ping", "-c", "40", "-i", "0.05", "-q", "10.77.0.2");
        assertTrue(r.ok(), r.stdout() + r.stderr());
        Matcher m = Pattern.compile("= ([0-9.]+)/([0-9.]+)/([0-9.]+)").matcher(r.stdout());
        assertTrue(m.find(), r.stdout());
        return Double.parseDouble(m.group(2));
    }
}
