package org.poolwarden.pool.pipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.poolwarden.pool.sim.MaxMinOracle;

/** Determinism and safety of the shared-pipe allocation. */
class PipeAllocatorPropertiesTest {

    static final long NOW = PartitionScenario.NOW;

    @Provide
    Arbitrary<PipeConfig> configs() {
        return Combinators.combine(
                Arbitraries.longs().between(1_000, 2_000_000_000L),
                Arbitraries.of(10_000_000L, 50_000_000L, 100_000_000L),
                Arbitraries.doubles().between(0, 1),
                Arbitraries.integers().between(1, 5),
                Arbitraries.doubles().between(0, 0.5),
                Arbitraries.of(UnbookedSplit.class))
                .as((c, t, f, k, b, s) -> new PipeConfig("p", c, t, f, k, b, s));
    }

    /**
     * A view of up to 24 hosts, demands scaled to the pipe; some stale, some suspect, some dead; half of them with
     * a booking above what they have queued under it.
     */
    static Arbitrary<List<PeerPipeState>> views(PipeConfig cfg) {
        double q = cfg.bytesPerInterval();
        Arbitrary<PeerPipeState> host = Combinators.combine(
                Arbitraries.doubles().between(0, 0.3).map(x -> x * q),
                Arbitraries.doubles().between(0, 2).map(x -> x * q),
                Arbitraries.integers().between(1, 5),
                Arbitraries.integers().between(0, 8),
                Arbitraries.of(Liveness.ALIVE, Liveness.ALIVE, Liveness.ALIVE, Liveness.SUSPECT, Liveness.DEAD))
                .as((b, u, w, age, l) -> new PeerPipeState("?", b, u, w, NOW - age, l,
                        age % 2 == 0 ? b : b + (age + 1) * 0.02 * q));
        return host.list().ofMinSize(1).ofMaxSize(24).map(l -> {
            List<PeerPipeState> out = new ArrayList<>();
            for (int i = 0; i < l.size(); i++) {
                PeerPipeState p = l.get(i);
                out.add(new PeerPipeState("h" + i, p.bookedBytes(), p.unbookedBytes(), p.activeClasses(),
                        p.intervalNumber(), p.liveness(), p.bookingBytes()));
            }
            return out;
        });
    }

    @Provide
    Arbitrary<Case> cases() {
        return configs().flatMap(cfg -> views(cfg).map(v -> new Case(cfg, v)));
    }

    record Case(PipeConfig cfg, List<PeerPipeState> view) {
    }

    @Property(tries = 300)
    void everyHostComputesTheSameAllocationWhateverTheOrder(@ForAll("cases") Case c, @ForAll long seed) {
        Random r = new Random(seed);
        PipeAllocation reference = SharedPipeAllocator.compute(c.cfg(), NOW, c.view());
        for (PeerPipeState me : c.view()) {
            // Each host holds the same entries, received in its own order, its own entry possibly twice
            // (as published and as echoed back by gossip).
            List<PeerPipeState> mine = new ArrayList<>(c.view());
            mine.add(me);
            Collections.shuffle(mine, r);
            PipeAllocation a = SharedPipeAllocator.compute(c.cfg(), NOW, mine);
            assertEquals(reference.grants(), a.grants());
            assertEquals(reference.grant(me.hostId()), a.grant(me.hostId()));
        }
    }

    @Property
    void creditsAndEntitlementsNeverExceedThePipe(@ForAll("cases") Case c) {
        PipeAllocation a = SharedPipeAllocator.compute(c.cfg(), NOW, c.view());
        long limit = (long) Math.floor(c.cfg().bytesPerInterval());
        assertTrue(a.totalCredit() <= limit, a.totalCredit() + " > " + limit);
        assertTrue(a.totalEntitlement() <= limit, a.totalEntitlement() + " > " + limit);
        for (HostGrant g : a.grants()) {
            assertTrue(g.bookedBytes() >= 0 && g.unbookedBytes() >= 0 && g.immediateBytes() >= 0);
            assertTrue(g.creditBytes() <= g.entitlementBytes());
        }
    }

    @Property
    void bookedGuaranteesAreMetWhenTheyFit(@ForAll("cases") Case c) {
        PipeAllocation a = SharedPipeAllocator.compute(c.cfg(), NOW, c.view());
        double q = c.cfg().bytesPerInterval();
        // bookings go first: they are met whenever the fresh hosts' booked bytes and the silent hosts' bookings
        // fit, however many silent hosts take reservations
        double bookings = 0;
        double freshBooked = 0;
        for (PeerPipeState p : c.view()) {
            HostGrant g = a.grant(p.hostId()).orElse(null);
            if (g != null) {
                bookings += g.stale() ? p.bookingBytes() : p.bookedBytes();
                freshBooked += g.stale() ? 0 : p.bookedBytes();
            }
        }
        // (sums in a different order than the allocator's: a rounding margin either side of the pipe)
        if (bookings <= q * (1 - 1e-9)) {
            assertFalse(a.bookedScaled());
            for (PeerPipeState p : c.view()) {
                a.grant(p.hostId()).filter(g -> !g.stale()).ifPresent(g ->
                        assertEquals((long) Math.floor(p.bookedBytes()), g.bookedBytes(), p.hostId()));
            }
        } else if (bookings > q * (1 + 1e-9)) {
            assertEquals(freshBooked > 0, a.bookedScaled());
        }
    }

    @Property
    void unstalledPoolIsWorkConservingAndMaxMinFair(@ForAll("configs") PipeConfig cfg0,
                                                    @ForAll("demands") double[] fractions) {
        PipeConfig cfg = cfg0.withUnbookedSplit(UnbookedSplit.MAX_MIN);
        double q = cfg.bytesPerInterval();
        List<PeerPipeState> view = new ArrayList<>();
        double[] demand = new double[fractions.length];
        for (int i = 0; i < fractions.length; i++) {
            demand[i] = fractions[i] * q;
            view.add(PeerPipeState.alive("h" + i, 0, demand[i], NOW));
        }
        PipeAllocation a = SharedPipeAllocator.compute(cfg, NOW, view);
        double[] oracle = MaxMinOracle.waterFill(q, demand);
        for (int i = 0; i < demand.length; i++) {
            HostGrant g = a.grant("h" + i).orElseThrow();
            assertEquals(oracle[i], g.unbookedBytes(), 1.0 + 1e-9 * q, "host h" + i);
        }
        double total = 0;
        for (double d : demand) {
            total += d;
        }
        // All of the pipe is accounted for (to rounding): demand first, the rest as immediate credit.
        assertTrue(a.totalEntitlement() >= q - 2 * demand.length - 1);
        if (total >= q) {
            assertTrue(a.totalCredit() >= q - 2 * demand.length - 1);
        }
    }

    @Provide
    Arbitrary<double[]> demands() {
        return Arbitraries.doubles().between(0, 1).array(double[].class).ofMinSize(1).ofMaxSize(30);
    }

    /**
     * m groups that cannot hear each other: with bookings unchanged since the groups last heard each other the
     * pipe carries at most {@code Q + (m-1) beta Q} (derivation in the package documentation), bookings first or
     * not; a booking that rose where other groups could not hear it overruns by at most the rise, once.
     */
    @Property
    void partitionOverrunsByAtMostTheConfiguredBound(@ForAll("configs") PipeConfig cfg,
                                                     @ForAll @IntRange(min = 2, max = 20) int n,
                                                     @ForAll @IntRange(min = 2, max = 4) int m,
                                                     @ForAll boolean bookingsRose, @ForAll long seed) {
        double q = cfg.bytesPerInterval();
        PartitionScenario s = PartitionScenario.random(cfg, n, m, new Random(seed), bookingsRose ? 0.5 * q : 0.2 * q,
                bookingsRose ? 0.5 : 0);
        long total = s.sent();
        if (!bookingsRose) {
            assertEquals(0, s.unseenBookings());
        }
        double bound = q + (m - 1) * cfg.partitionSlack() * q + s.unseenBookings();
        assertTrue(total <= bound + 1, "groups sent " + total + " > bound " + bound);
    }
}
