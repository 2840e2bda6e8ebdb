package org.poolwarden.pool.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.poolwarden.pool.rescale.InsufficientResources;
import org.poolwarden.pool.rescale.RescaleResult;

/** Absurd peer entries and configs: rejected or clamped, counted, never taken as truth. */
class BadInputTest {

    static final PipeConfig PIPE = PipeConfig.of("wan", 20_000); // 1000 B per tick
    static final long NOW = 50;

    static List<PeerPipeState> honest() {
        return List.of(PeerPipeState.alive("a", 100, 800, NOW), PeerPipeState.alive("b", 0, 800, NOW - 1));
    }

    /** What the allocation must be if the liar's entry were simply never received. */
    static PipeAllocation asIfNeverHeard(String liar) {
        List<PeerPipeState> v = new ArrayList<>(honest());
        v.add(new PeerPipeState(liar, 0, 0, 1, PeerPipeState.NEVER, Liveness.ALIVE));
        return SharedPipeAllocator.compute(PIPE, NOW, v);
    }

    @Test
    void negativeDemandIsIgnoredAndThePeerIsReservedNotBelieved() {
        List<PeerPipeState> v = new ArrayList<>(honest());
        v.add(PeerPipeState.alive("liar", -5000, 10, NOW));
        SharedPipeAllocator alloc = new SharedPipeAllocator(PIPE);
        PipeAllocation a = alloc.allocate(NOW * PIPE.tickNanos(), v);
        assertEquals(asIfNeverHeard("liar").grants(), a.grants());
        assertEquals(List.of(new Rejection("wan", "liar", "bookedBytes", "-5000.0",
                Rejection.Action.IGNORED_ENTRY)), a.rejections());
        assertEquals("pipe wan: peer liar published bookedBytes=-5000.0 -> IGNORED_ENTRY",
                a.rejections().get(0).toString());
        assertEquals(1, alloc.ignoredEntries());
    }

    @Test
    void nanAndInfinityAreIgnored() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            List<PeerPipeState> v = new ArrayList<>(honest());
            v.add(PeerPipeState.alive("liar", 0, bad, NOW));
            PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, v);
            assertEquals(asIfNeverHeard("liar").grants(), a.grants(), "value " + bad);
            assertEquals(1, a.rejections().size());
        }
    }

    @Test
    void demandAboveOneSecondOfThePipeIsClampedAndCounted() {
        List<PeerPipeState> v = new ArrayList<>(honest());
        v.add(PeerPipeState.alive("hog", 0, 1e15, NOW));
        SharedPipeAllocator alloc = new SharedPipeAllocator(PIPE);
        PipeAllocation a = alloc.allocate(NOW * PIPE.tickNanos(), v);
        assertEquals(1, alloc.rejectedValues());
        assertEquals(Rejection.Action.CLAMPED, a.rejections().get(0).action());
        // Max-min: the hog cannot take more than an equal share from honest hosts however much it claims.
        long hog = a.grant("hog").orElseThrow().unbookedBytes();
        long b = a.grant("b").orElseThrow().unbookedBytes();
        assertTrue(hog <= b + 1, "hog " + hog + " vs b " + b);
        assertTrue(a.totalCredit() <= 1000);
    }

    @Test
    void bookingAbovethePipeIsClampedAndBookingsAreCutWithAFlag() {
        List<PeerPipeState> v = new ArrayList<>(honest());
        v.add(PeerPipeState.alive("greedy", 1e9, 0, NOW));
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, v);
        assertTrue(a.bookedScaled());
        assertTrue(a.totalCredit() <= 1000);
        assertTrue(a.rejections().stream().anyMatch(r -> r.hostId().equals("greedy")
                && r.action() == Rejection.Action.CLAMPED));
    }

    @Test
    void entryFromTheFutureIsIgnored() {
        List<PeerPipeState> v = new ArrayList<>(honest());
        v.add(PeerPipeState.alive("skewed", 0, 500, NOW + 100));
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, v);
        assertTrue(a.grant("skewed").orElseThrow().stale());
        assertEquals(asIfNeverHeard("skewed").grants(), a.grants());
    }

    @Test
    void blankHostIdAndDuplicatesAreCounted() {
        List<PeerPipeState> v = new ArrayList<>(honest());
        v.add(PeerPipeState.alive(" ", 0, 500, NOW));
        v.add(PeerPipeState.alive("a", 0, 999, NOW - 2)); // older duplicate of a
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, v);
        assertEquals(SharedPipeAllocator.compute(PIPE, NOW, honest()).grants(), a.grants());
        assertEquals(2, a.rejections().size());
    }

    @Test
    void zeroClassCountWithDemandIsClampedToOne() {
        List<PeerPipeState> v = List.of(new PeerPipeState("a", 0, 5000, 0, NOW, Liveness.ALIVE),
                PeerPipeState.alive("b", 0, 5000, NOW));
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, v);
        assertEquals(500, a.grant("a").orElseThrow().unbookedBytes());
        assertEquals(1, a.rejections().size());
    }

    @Test
    void pipeOfZeroCapacityIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> PipeConfig.of("wan", 0));
        assertThrows(IllegalArgumentException.class, () -> PipeConfig.of("wan", -1));
    }

    @Test
    void bookingsOverHundredPercentAreFittedByPriorityAndReported() {
        RescaleResult r = PipeBookings.resolve(PIPE, List.of(
                new PipeBooking("db", 60, 9), new PipeBooking("web", 50, 5), new PipeBooking("backup", 30, 5)));
        assertEquals(12_000, r.granted("db"), 1e-9);
        assertEquals(5_000, r.granted("web"), 1e-9);
        assertEquals(3_000, r.granted("backup"), 1e-9);
        assertEquals(List.of(new InsufficientResources("pipe:wan", "backup", 6_000, 3_000),
                new InsufficientResources("pipe:wan", "web", 10_000, 5_000)), r.insufficient());
        assertThrows(IllegalArgumentException.class, () -> new PipeBooking("x", 120, 1));
        assertThrows(IllegalArgumentException.class, () -> new PipeBooking("x", Double.NaN, 1));
    }

    @Provide
    Arbitrary<Double> garbage() {
        return Arbitraries.oneOf(
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, -1.0,
                        Double.MAX_VALUE, -Double.MAX_VALUE, Double.MIN_VALUE),
                Arbitraries.doubles().between(-1e18, 1e18));
    }

    @Property
    void noGarbageBreaksTheAllocationOrTheHonestHostsBooking(@ForAll("garbage") double booked,
                                                            @ForAll("garbage") double unbooked,
                                                            @ForAll int classes, @ForAll long interval) {
        List<PeerPipeState> v = new ArrayList<>(honest());
        v.add(new PeerPipeState("liar", booked, unbooked, classes, interval, Liveness.ALIVE));
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, v);
        assertTrue(a.totalCredit() <= 1000);
        assertTrue(a.totalEntitlement() <= 1000);
        HostGrant liar = a.grant("liar").orElseThrow();
        assertTrue(liar.creditBytes() <= 1000);
        for (HostGrant g : a.grants()) {
            assertTrue(g.creditBytes() >= 0 && g.entitlementBytes() >= 0);
        }
        boolean unusable = !Double.isFinite(booked) || booked < 0 || !Double.isFinite(unbooked) || unbooked < 0
                || (interval > NOW + 1 && interval != PeerPipeState.NEVER);
        if (unusable) {
            assertTrue(liar.stale());
            assertEquals(asIfNeverHeard("liar").grants(), a.grants());
        }
    }
}
