package org.poolwarden.pool.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedPipeAllocatorTest {

    /** 1000 bytes per tick: 20 000 B/s at a 50 ms tick. */
    /** Every host publishes every interval here (no suppression): an entry k = 3 intervals old is stale. */
    static final PipeConfig PIPE = PipeConfig.of("wan", 20_000).withRefresh(1, 0);
    static final long NOW = 100;

    static HostGrant grant(PipeAllocation a, String host) {
        return a.grant(host).orElseThrow();
    }

    @Test
    void everythingFitsSpareIsSharedAsDevaluedImmediateCredit() {
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 100, 200, NOW),
                PeerPipeState.alive("b", 50, 50, NOW - 1)));
        // spare = 1000 - 400 = 600, 300 each at face value, 150 after the default 50% devaluation
        assertEquals(new HostGrant("a", false, 100, 200, 150, 600), grant(a, "a"));
        assertEquals(new HostGrant("b", false, 50, 50, 150, 400), grant(a, "b"));
        assertEquals(1000, a.totalEntitlement());
        assertEquals(700, a.totalCredit());
        assertFalse(a.bookedScaled());
    }

    @Test
    void immediateFactorZeroMeansAlwaysQueueAndOneMeansAlwaysTakeAChance() {
        List<PeerPipeState> in = List.of(PeerPipeState.alive("a", 0, 200, NOW));
        assertEquals(0, grant(SharedPipeAllocator.compute(PIPE.withImmediateFactor(0), NOW, in), "a")
                .immediateBytes());
        assertEquals(800, grant(SharedPipeAllocator.compute(PIPE.withImmediateFactor(1), NOW, in), "a")
                .immediateBytes());
    }

    @Test
    void unbookedThatDoesNotFitIsSplitProportionallyInSeedMode() {
        PipeConfig p = PIPE.withUnbookedSplit(UnbookedSplit.PROPORTIONAL);
        PipeAllocation a = SharedPipeAllocator.compute(p, NOW, List.of(
                PeerPipeState.alive("a", 200, 600, NOW),
                PeerPipeState.alive("b", 200, 1000, NOW)));
        // 600 left after bookings, unbooked 1600: share 0.375
        assertEquals(200 + 225, grant(a, "a").creditBytes());
        assertEquals(200 + 375, grant(a, "b").creditBytes());
        assertEquals(0, grant(a, "a").immediateBytes());
    }

    @Test
    void unbookedThatDoesNotFitIsWaterFilledByDefault() {
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 0, 100, NOW),
                PeerPipeState.alive("b", 0, 5000, NOW),
                new PeerPipeState("c", 0, 5000, 2, NOW, Liveness.ALIVE)));
        // a gets all 100; b and c share 900 in proportion 1:2
        assertEquals(100, grant(a, "a").unbookedBytes());
        assertEquals(300, grant(a, "b").unbookedBytes());
        assertEquals(600, grant(a, "c").unbookedBytes());
    }

    @Test
    void bookingsThatDoNotFitAreCutProportionallyAndFlagged() {
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 900, 10, NOW),
                PeerPipeState.alive("b", 600, 10, NOW)));
        assertTrue(a.bookedScaled());
        assertEquals(600, grant(a, "a").bookedBytes());
        assertEquals(400, grant(a, "b").bookedBytes());
        assertEquals(0, grant(a, "a").unbookedBytes());
        assertTrue(a.totalCredit() <= 1000);
    }

    @Test
    void stalePeerIsReservedAtItsBookingOrTheFloorNeverZero() {
        // k = 3: an entry 3 ticks old is stale.
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 0, 5000, NOW),
                PeerPipeState.alive("b", 500, 0, NOW - 3),
                PeerPipeState.alive("c", 0, 0, NOW - 50)));
        HostGrant b = grant(a, "b");
        HostGrant c = grant(a, "c");
        assertTrue(b.stale() && c.stale());
        assertEquals(500, b.entitlementBytes());
        // floor (1 - 0.05) * 1000 / 3 = 316.67
        assertEquals(316, c.entitlementBytes());
        assertEquals(0, b.creditBytes());
        assertEquals((long) Math.floor(1000 - 500 - 1000 * 0.95 / 3), grant(a, "a").creditBytes());
    }

    @Test
    void aSilentHostIsReservedItsBookingNotOnlyWhatItHadQueued() {
        // b last published an empty booked queue but holds a booking of 400: if it starts using the booking while
        // nobody hears it, that is already counted here
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 0, 5000, NOW),
                new PeerPipeState("b", 0, 0, 1, NOW - 3, Liveness.ALIVE, 400),
                new PeerPipeState("c", 0, 0, 1, NOW - 3, Liveness.ALIVE, 0)));
        assertEquals(400, grant(a, "b").entitlementBytes());
        assertEquals(316, grant(a, "c").entitlementBytes());
        assertEquals((long) Math.floor(1000 - 400 - 950 / 3.0), grant(a, "a").creditBytes());
    }

    @Test
    void aHostThatHearsFewPeersStillGetsItsBookingFirst() {
        // the 128-host pool simulation's booked misses: host h001 heard only 11 of 128 hosts; the 117 silent ones
        // are reserved (1 - beta) Q / 128 each (3 of them their 5% booking), which left less than the fresh
        // bookings. Bookings now go before those reservations, since every silent host reserves them too.
        PipeConfig cfg = PipeConfig.of("wan", 125_000_000L); // 6.25 MB per interval
        double q = cfg.bytesPerInterval();
        List<PeerPipeState> view = new ArrayList<>();
        for (int i = 1; i <= 128; i++) {
            String id = String.format("h%03d", i);
            double booking = i <= 4 ? 0.05 * q : 0;
            boolean heard = i <= 11;
            view.add(new PeerPipeState(id, heard ? booking : 0, heard ? 0.01 * q : 0, 1,
                    heard ? NOW : NOW - cfg.freshIntervals(128) - 5, Liveness.ALIVE, booking));
        }
        view.set(5, view.get(5).withBooking(0)); // one fresh host without a booking (booked 0 already)
        PipeAllocation a = SharedPipeAllocator.compute(cfg, NOW, view);
        assertFalse(a.bookedScaled());
        for (int i = 1; i <= 4; i++) {
            assertEquals((long) Math.floor(0.05 * q), grant(a, String.format("h%03d", i)).bookedBytes());
        }
        assertTrue(a.totalCredit() + a.grants().stream().filter(HostGrant::stale)
                .mapToLong(HostGrant::entitlementBytes).sum() <= q);
        // the reservations of the silent hosts shrank instead (they are all still counted, never at zero)
        assertTrue(a.grants().stream().filter(HostGrant::stale).allMatch(g -> g.entitlementBytes() > 0));
    }

    @Test
    void bookedBytesAboveTheBookingCompeteAsUnbooked() {
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                new PeerPipeState("a", 500, 0, 1, NOW, Liveness.ALIVE, 200),
                PeerPipeState.alive("b", 0, 5000, NOW)));
        assertEquals(200, grant(a, "a").bookedBytes());
        assertEquals(300, grant(a, "a").unbookedBytes()); // the 300 over its booking, all of it (b gets 500)
        assertEquals(500, grant(a, "b").unbookedBytes());
        assertEquals(1, a.rejections().size());
    }

    @Test
    void peerThatNeverPublishedIsReservedNotIgnored() {
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 0, 5000, NOW),
                new PeerPipeState("b", 400, 0, 1, PeerPipeState.NEVER, Liveness.ALIVE)));
        assertTrue(grant(a, "b").stale());
        assertEquals(475, grant(a, "b").entitlementBytes());
        assertEquals(525, grant(a, "a").creditBytes());
    }

    @Test
    void deadHostIsReleased() {
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 0, 5000, NOW),
                PeerPipeState.alive("b", 500, 0, NOW - 20).withLiveness(Liveness.DEAD)));
        assertTrue(a.grant("b").isEmpty());
        assertEquals(1000, grant(a, "a").creditBytes());
    }

    @Test
    void hostThatReturnsGetsItsOriginalShareBack() {
        List<PeerPipeState> healthy = List.of(
                PeerPipeState.alive("a", 200, 5000, NOW), PeerPipeState.alive("b", 300, 5000, NOW));
        PipeAllocation before = SharedPipeAllocator.compute(PIPE, NOW, healthy);
        PipeAllocation failed = SharedPipeAllocator.compute(PIPE, NOW + 40, List.of(
                healthy.get(0).withInterval(NOW + 40), healthy.get(1).withLiveness(Liveness.DEAD)));
        assertEquals(1000, grant(failed, "a").creditBytes());
        PipeAllocation back = SharedPipeAllocator.compute(PIPE, NOW + 41, List.of(
                healthy.get(0).withInterval(NOW + 41), healthy.get(1).withInterval(NOW + 41)));
        assertEquals(before.grants(), back.grants());
    }

    @Test
    void suspectHostIsStillCountedWhileFresh() {
        PipeAllocation a = SharedPipeAllocator.compute(PIPE, NOW, List.of(
                PeerPipeState.alive("a", 0, 5000, NOW),
                PeerPipeState.alive("b", 300, 0, NOW - 1).withLiveness(Liveness.SUSPECT)));
        assertFalse(grant(a, "b").stale());
        assertEquals(300, grant(a, "b").bookedBytes());
        assertEquals(700, grant(a, "a").unbookedBytes());
    }

    @Test
    void emptyViewGivesNoGrants() {
        assertTrue(SharedPipeAllocator.compute(PIPE, NOW, List.of()).grants().isEmpty());
    }

    @Test
    void configRejectsZeroCapacityAndBadFactors() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PipeConfig.of("wan", 0));
        assertEquals("pipe wan: capacityBytesPerSec=0 must be > 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PIPE.withImmediateFactor(1.5));
        assertThrows(IllegalArgumentException.class, () -> PIPE.withImmediateFactor(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> PIPE.withStaleness(0, 0.05));
        assertThrows(IllegalArgumentException.class, () -> PIPE.withStaleness(3, -0.1));
        assertThrows(IllegalArgumentException.class, () -> PIPE.withTickNanos(0));
    }

    @Test
    void instanceCountsAndDerivesTheTickFromTheClock() {
        SharedPipeAllocator alloc = new SharedPipeAllocator(PIPE);
        long now = 7 * PIPE.tickNanos() + 3;
        PipeAllocation a = alloc.allocate(now, List.of(
                PeerPipeState.alive("a", 0, 100, 7),
                PeerPipeState.alive("b", 0, 100, 2),
                PeerPipeState.alive("c", Double.NaN, 100, 7)));
        assertEquals(7, a.interval());
        assertEquals(1, alloc.allocations());
        assertEquals(1, alloc.ignoredEntries());
        assertEquals(2, alloc.staleHostTicks());
    }

    @Test
    void twoGroupPartitionOverrunsByAtMostTheSlack() {
        // 4 hosts, {a,b} cannot hear {c,d}; each side sees the other stale at its last (small) booking.
        List<PeerPipeState> left = new ArrayList<>(List.of(
                PeerPipeState.alive("a", 0, 5000, NOW), PeerPipeState.alive("b", 0, 5000, NOW),
                PeerPipeState.alive("c", 10, 0, NOW - 10), PeerPipeState.alive("d", 10, 0, NOW - 10)));
        List<PeerPipeState> right = new ArrayList<>(List.of(
                PeerPipeState.alive("a", 10, 0, NOW - 10), PeerPipeState.alive("b", 10, 0, NOW - 10),
                PeerPipeState.alive("c", 0, 5000, NOW), PeerPipeState.alive("d", 0, 5000, NOW)));
        PipeAllocation l = SharedPipeAllocator.compute(PIPE, NOW, left);
        PipeAllocation r = SharedPipeAllocator.compute(PIPE, NOW, right);
        long used = grant(l, "a").creditBytes() + grant(l, "b").creditBytes()
                + grant(r, "c").creditBytes() + grant(r, "d").creditBytes();
        assertTrue(used <= 1000 + 0.05 * 1000, "used " + used);
        assertTrue(used >= 1000, "the partition must not strand the pipe either: " + used);
    }

    @Test
    void suppressedEntriesStayFreshForTheRefreshPeriodWhichGrowsWithThePool() {
        PipeConfig cfg = PipeConfig.of("wan", 20_000); // refresh 10, k = 3
        assertEquals(12, cfg.freshIntervals());
        // 2 hosts: an entry 11 intervals old is still the host's demand, 12 is stale
        PipeAllocation a = SharedPipeAllocator.compute(cfg, NOW, List.of(
                PeerPipeState.alive("a", 0, 100, NOW - 11), PeerPipeState.alive("b", 0, 100, NOW - 12)));
        assertFalse(grant(a, "a").stale());
        assertTrue(grant(a, "b").stale());
        // 128 hosts publish at most every 16 intervals (8 new entries per interval pool-wide), refresh every 32
        assertEquals(1, cfg.publishGap(8));
        assertEquals(16, cfg.publishGap(128));
        assertEquals(32, cfg.refreshIntervals(128));
        assertEquals(34, cfg.freshIntervals(128));
        List<PeerPipeState> big = new ArrayList<>();
        for (int i = 0; i < 128; i++) {
            big.add(PeerPipeState.alive(String.format("h%03d", i), 0, 10, NOW - (i == 0 ? 33 : 34)));
        }
        PipeAllocation b = SharedPipeAllocator.compute(cfg, NOW, big);
        assertFalse(grant(b, "h000").stale());
        assertTrue(grant(b, "h001").stale());
        // without suppression nothing changes: k alone
        assertEquals(1, PIPE.publishGap(128));
        assertEquals(3, PIPE.freshIntervals(128));
    }
}
