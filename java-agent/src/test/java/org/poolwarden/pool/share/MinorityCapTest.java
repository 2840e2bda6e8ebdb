package org.poolwarden.pool.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.poolwarden.pool.pipe.HostGrant;
import org.poolwarden.pool.pipe.PartitionScenario;
import org.poolwarden.pool.pipe.PeerPipeState;
import org.poolwarden.pool.pipe.PipeAllocation;
import org.poolwarden.pool.pipe.PipeConfig;
import org.poolwarden.pool.pipe.SharedPipeAllocator;

/** A host that hears no more than half of the pipe's members keeps to a fair share: the partition bound halves. */
class MinorityCapTest {

    static final long NOW = 1000;

    @Test
    void aHostHearingHalfOrLessTakesAFairShareOrItsBooking() {
        PipeConfig cfg = PipeConfig.of("wan", 20_000).withRefresh(1, 0); // 1000 B per interval, k = 3
        List<PeerPipeState> view = List.of(PeerPipeState.alive("a", 100, 5000, NOW),
                PeerPipeState.alive("b", 0, 5000, NOW - 5), PeerPipeState.alive("c", 0, 5000, NOW - 5),
                PeerPipeState.alive("d", 0, 5000, NOW));
        PipeAllocation a = SharedPipeAllocator.compute(cfg, NOW, view);
        HostGrant g = a.grant("a").orElseThrow();
        HostGrant capped = PipeShareCoordinator.capInMinority(a, g);
        assertTrue(g.creditBytes() > 250, "uncapped, the slack goes to the two heard hosts: " + g);
        assertEquals(250, capped.creditBytes());
        assertEquals(g.bookedBytes(), capped.bookedBytes());
        // a majority heard: nothing changes
        PipeAllocation all = SharedPipeAllocator.compute(cfg, NOW, List.of(PeerPipeState.alive("a", 100, 5000, NOW),
                PeerPipeState.alive("b", 0, 5000, NOW - 5), PeerPipeState.alive("c", 0, 5000, NOW)));
        HostGrant ga = all.grant("a").orElseThrow();
        assertSame(ga, PipeShareCoordinator.capInMinority(all, ga));
    }

    @Property
    void groupsThatCannotHearEachOtherOverrunByAtMostHalfTheSlack(@ForAll @IntRange(min = 2, max = 24) int n,
                                                                   @ForAll @IntRange(min = 2, max = 4) int m,
                                                                   @ForAll long seed) {
        PipeConfig cfg = PipeConfig.of("p", 125_000_000L);
        double q = cfg.bytesPerInterval();
        // bookings small enough to fit in a fair share each (they are met in full otherwise), unchanged
        PartitionScenario s = PartitionScenario.random(cfg, n, m, new Random(seed), 0.5 * q / n, 0);
        long total = s.sent(PipeShareCoordinator::capInMinority);
        double bound = q + cfg.partitionSlack() * q / 2;
        assertTrue(total <= bound + n, "groups sent " + total + " > bound " + bound);
    }
}
