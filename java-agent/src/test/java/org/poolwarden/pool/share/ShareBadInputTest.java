package org.poolwarden.pool.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.poolwarden.exchange.ExchangeConfig;
import org.poolwarden.pool.pipe.HostGrant;
import org.poolwarden.pool.pipe.PipeAllocation;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.policy.PolicyCatalog;
import org.poolwarden.pool.policy.VersionedPolicy;
import org.poolwarden.pool.share.ShareCounters.Counter;

/** Bad input at the wiring level: config errors, over-booking, and a peer publishing absurd values. */
class ShareBadInputTest {

    static final PipeConfig PIPE = PipeShareCoordinatorTest.PIPE;
    static final double Q = PipeShareCoordinatorTest.Q;

    @Test
    void aPipeOfZeroCapacityIsAConfigErrorNamingTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PipeConfig.of("wan", 0));
        assertTrue(e.getMessage().contains("capacityBytesPerSec=0"), e.getMessage());
    }

    @Test
    void sharedPipeConfigErrorsNameTheField() {
        TreeMap<String, Integer> apps = new TreeMap<>();
        apps.put("a", 0x10);
        String msg = assertThrows(IllegalArgumentException.class, () -> new SharedPipe(PIPE, "eth0", 0, apps, 2,
                List.of(), Set.of())).getMessage();
        assertTrue(msg.contains("linkRateBits=0"), msg);
        msg = assertThrows(IllegalArgumentException.class, () -> new SharedPipe(PipeConfig.of("x".repeat(80), 1000),
                "eth0", 1_000_000, apps, 2, List.of(), Set.of())).getMessage();
        assertTrue(msg.contains("exchange key"), msg);
        msg = assertThrows(IllegalArgumentException.class, () -> new SharedPipe(PIPE, "eth0", 1_000_000,
                new TreeMap<>(), 2, List.of(), Set.of())).getMessage();
        assertTrue(msg.contains("no app classes"), msg);
    }

    @Test
    void aPolicyOutOfRangeIsRefusedLocallyAndACopyFromAPeerIsRejectedEverywhere() {
        SharePool p = new SharePool(11, 3, ExchangeConfig.lan(), PipeShareCoordinatorTest.TICK,
                h -> List.of(PipeShareCoordinatorTest.pipeOf(h)), false).start();
        p.runMillis(200);
        String msg = assertThrows(IllegalArgumentException.class,
                () -> p.coordinator(1).setPolicy("pipe/wan/a", PolicyCatalog.body(150, 1))).getMessage();
        assertTrue(msg.contains("percent=150.0"), msg);
        p.coordinator(1).setPolicy("pipe/wan/a", PolicyCatalog.body(50, 1));
        p.runMillis(1000);
        // host 3's node publishes a raw, newer copy with an impossible percentage (as a broken agent would)
        VersionedPolicy bad = VersionedPolicy.set("pipe/wan/a", 99, "3", "percent=150;priority=1");
        p.host(3).node().publish("pol/pipe/wan/a", ShareCodec.encodePolicy(bad), p.now());
        p.runMillis(1000);
        for (int h = 1; h <= 2; h++) {
            assertEquals("percent=50.0;priority=1", p.coordinator(h).policies().get("pipe/wan/a").orElseThrow().body());
            assertTrue(p.coordinator(h).counters().get(Counter.POLICY_PROBLEM) > 0, "counted on host " + h);
        }
    }

    @Test
    void bookingsOverOneHundredPercentAreFittedByPriorityAndReported() {
        SharePool p = new SharePool(12, 3, ExchangeConfig.lan(), PipeShareCoordinatorTest.TICK,
                h -> List.of(PipeShareCoordinatorTest.pipeOf(h)), true).start();
        p.runMillis(200);
        p.coordinator(2).setPolicy("pipe/wan/a", PolicyCatalog.body(80, 2));
        p.coordinator(2).setPolicy("pipe/wan/b", PolicyCatalog.body(60, 1));
        p.coordinator(2).setPolicy("pipe/wan/c", PolicyCatalog.body(40, 1));
        for (int h = 1; h <= 3; h++) {
            PipeShareCoordinatorTest.saturate(p, h);
        }
        p.runMillis(2000);
        double[] want = {0, 0.8, 0.12, 0.08}; // a keeps 80%; b and c share the 20% left in proportion
        long sum = 0;
        for (int h = 1; h <= 3; h++) {
            long c = PipeShareCoordinatorTest.credit(p, h);
            assertEquals(want[h] * Q, c, 0.02 * Q, "host " + h);
            sum += c;
            assertTrue(p.coordinator(h).counters().get(Counter.BOOKING_SHORT) >= 2, "b and c reported short");
        }
        assertTrue(sum <= Q);
        assertTrue(p.coordinator(1).bookings("wan").orElseThrow().insufficient().size() == 2);
    }

    /** Demand value bytes with arbitrary numbers (what a broken or malicious agent could send). */
    static byte[] demand(long interval, double booked, double unbooked, int classes) {
        return ShareCodec.encodeDemand(new PipeDemandEntry("wan", interval, booked, unbooked, classes));
    }

    @Test
    void absurdPeerDemandIsIgnoredOrClampedCountedAndNeverRepublished() {
        // hosts 1-3 share "wan"; host 4 only runs a rogue publisher for it
        SharePool p = new SharePool(13, 4, ExchangeConfig.lan(), PipeShareCoordinatorTest.TICK,
                h -> List.of(h == 4 ? otherPipe() : PipeShareCoordinatorTest.pipeOf(h)), false).start();
        p.runMillis(200);
        for (int h = 1; h <= 3; h++) {
            p.coordinator(1).setPolicy("pipe/wan/" + PipeShareCoordinatorTest.APP[h],
                    PolicyCatalog.body(PipeShareCoordinatorTest.BOOKED[h] * 50, 1)); // room for the floor a silent or unusable peer is reserved
            PipeShareCoordinatorTest.saturate(p, h);
        }
        p.runMillis(1000);
        byte[][] garbage = {
            demand(0, Double.NaN, 0, 1),
            demand(0, 0, -5e6, 1),
            demand(0, Double.POSITIVE_INFINITY, 1, 1),
            demand(0, 1e18, 1e18, -3),                     // clamped to one second of the pipe
            ShareCodec.encodeDemand(new PipeDemandEntry("wan", 0, 0, 1, 1, Double.NaN)),
            ShareCodec.encodeDemand(new PipeDemandEntry("wan", 0, 1e18, 1, 1, 1e18)), // a booking beyond all bookings
            {(byte) ShareValueType.PIPE_DEMAND, 1, 7},     // truncated
            {(byte) 77, 1, 0, 0},                          // a value type from the future
        };
        long nan = Double.doubleToLongBits(Double.NaN);
        int fullBooking = 0;
        for (int round = 0; round < 60; round++) {
            byte[] g = garbage[round % garbage.length].clone();
            if (g.length >= ShareCodec.DEMAND_BYTES) {
                ByteBuffer.wrap(g).putLong(2, PIPE.intervalAt(p.now())); // current interval: looks fresh
            }
            p.host(4).node().publish("pd/wan", g, p.now());
            p.runMillis(50);
            for (int h = 1; h <= 3; h++) {
                PipeAllocation a = p.coordinator(h).allocation("wan").orElseThrow();
                long credits = a.grants().stream().mapToLong(HostGrant::creditBytes).sum();
                assertTrue(credits <= Q, "host " + h + " never hands out more than the pipe: " + credits);
                assertTrue(a.grant("4").isPresent(), "the rogue is still counted, never at zero");
                PipeDemandEntry mine = p.coordinator(h).published("wan").orElseThrow();
                assertTrue(Double.isFinite(mine.bookedBytes()) && mine.bookedBytes() >= 0
                        && mine.bookedBytes() <= PipeShareCoordinatorTest.BOOKED[h] * 0.5 * Q + 1,
                        "host " + h + " publishes only its own booked bytes: " + mine);
                assertTrue(Double.isFinite(mine.unbookedBytes()) && mine.unbookedBytes() <= 10 * Q + Q,
                        "host " + h + " publishes only its own queue: " + mine);
                assertTrue(Double.doubleToLongBits(mine.bookedBytes()) != nan);
                // A peer's booked bytes cannot be checked against apps it runs, only against the pipe's bookings:
                // a liar claiming all of them halves the others' guarantees at worst, and never more.
                long credit = PipeShareCoordinatorTest.credit(p, h);
                double booking = PipeShareCoordinatorTest.BOOKED[h] * 0.5 * Q;
                assertTrue(credit >= Math.floor(booking / 2) - 1, "host " + h + " keeps half its booking: " + credit);
                if (credit >= Math.floor(booking) - 1) {
                    fullBooking++;
                }
            }
        }
        assertTrue(fullBooking >= 3 * 60 * 4 / 6, "full bookings except around the booked-bytes lie: " + fullBooking);
        for (int h = 1; h <= 3; h++) {
            ShareCounters c = p.coordinator(h).counters();
            assertTrue(c.get(Counter.DEMAND_IGNORED) > 0, "host " + h + " " + c);
            assertTrue(c.get(Counter.DEMAND_CLAMPED) > 0, "host " + h + " " + c);
            assertTrue(c.get(Counter.MALFORMED_VALUE) > 0, "host " + h + " " + c);
            assertTrue(c.get(Counter.UNKNOWN_VALUE_TYPE) > 0, "host " + h + " " + c);
        }
    }

    static SharedPipe otherPipe() {
        TreeMap<String, Integer> apps = new TreeMap<>();
        apps.put("z", 0x10);
        return new SharedPipe(PipeConfig.of("lan", 1_000_000), "eth0", 1_000_000_000L, apps, 2, List.of(),
                Set.of(4L));
    }
}
