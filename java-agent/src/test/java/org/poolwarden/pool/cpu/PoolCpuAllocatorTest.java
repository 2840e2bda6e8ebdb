package org.poolwarden.pool.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;
import org.poolwarden.pool.rescale.InsufficientResources;

class PoolCpuAllocatorTest {

    static final List<HostCpu> HOSTS = List.of(
            new HostCpu("h1", 8, true), new HostCpu("h2", 8, true), new HostCpu("h3", 4, true));

    @Test
    void poolPercentBecomesCapsProportionalToInstances() {
        // 20% of 20 cores = 4 cores; 3 instances on h1, 1 on h2 -> 3 + 1
        CpuAllocation a = PoolCpuAllocator.allocate(List.of(new CpuPolicy("web", 20, 5)), HOSTS,
                List.of(new Instances("web", "h1", 3), new Instances("web", "h2", 1)));
        assertEquals(List.of(new HostAppCpu("h1", "web", 3, 300), new HostAppCpu("h2", "web", 1, 100)),
                a.entries());
        assertEquals(4, a.placed("web"), 1e-12);
        assertTrue(a.insufficient().isEmpty());
    }

    @Test
    void fullHostSpillsToTheAppsOtherHosts() {
        // 50% = 10 cores on h3 (4 cores) and h1: h3 saturates at 4, h1 takes 6.
        CpuAllocation a = PoolCpuAllocator.allocate(List.of(new CpuPolicy("batch", 50, 1)), HOSTS,
                List.of(new Instances("batch", "h1", 1), new Instances("batch", "h3", 1)));
        assertEquals(6, a.entries().get(0).capCores(), 1e-9);
        assertEquals(4, a.entries().get(1).capCores(), 1e-9);
        assertEquals(10, a.placed("batch"), 1e-9);
    }

    @Test
    void appThatCannotBePlacedIsReported() {
        CpuAllocation a = PoolCpuAllocator.allocate(List.of(new CpuPolicy("big", 40, 1)), HOSTS,
                List.of(new Instances("big", "h3", 2)));
        assertEquals(4, a.placed("big"), 1e-9);
        assertEquals(List.of(new InsufficientResources("cpu-placement", "big", 8, 4)), a.insufficient());
    }

    @Test
    void hostFailureRescalesByPriorityAndReturnRestores() {
        List<CpuPolicy> ps = List.of(new CpuPolicy("gold", 50, 9), new CpuPolicy("bronze", 40, 1));
        List<Instances> is = List.of(new Instances("gold", "h1", 1), new Instances("gold", "h2", 1),
                new Instances("gold", "h3", 1), new Instances("bronze", "h1", 1), new Instances("bronze", "h2", 1),
                new Instances("bronze", "h3", 1));
        CpuAllocation before = PoolCpuAllocator.allocate(ps, HOSTS, is);
        assertEquals(10, before.placed("gold"), 1e-9);
        assertEquals(8, before.placed("bronze"), 1e-9);

        List<HostCpu> failed = List.of(HOSTS.get(0), new HostCpu("h2", 8, false), HOSTS.get(2));
        CpuAllocation during = PoolCpuAllocator.allocate(ps, failed, is);
        assertEquals(12, during.liveCores());
        assertEquals(10, during.placed("gold"), 1e-9, "gold keeps its absolute 10 cores");
        assertEquals(2, during.placed("bronze"), 1e-9, "bronze gets what is left");
        assertEquals(0, during.onHost("h2"));
        assertTrue(during.insufficient().stream().anyMatch(i -> i.id().equals("bronze")));

        CpuAllocation after = PoolCpuAllocator.allocate(ps, HOSTS, is);
        assertEquals(before, after);
    }

    @Test
    void weightIsHundredPerCoreClamped() {
        assertEquals(1, HostAppCpu.weightFor(0.001));
        assertEquals(100, HostAppCpu.weightFor(1));
        assertEquals(10_000, HostAppCpu.weightFor(1000));
    }

    @Test
    void badInputIsRejectedWithItsName() {
        assertEquals("cpu policy x: poolPercent=150.0 must be in (0,100]",
                assertThrows(IllegalArgumentException.class, () -> new CpuPolicy("x", 150, 1)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HostCpu("h", 0, true));
        assertThrows(IllegalArgumentException.class, () -> new HostCpu("h", Double.NaN, true));
        assertThrows(IllegalArgumentException.class, () -> PoolCpuAllocator.allocate(
                List.of(new CpuPolicy("x", 10, 1), new CpuPolicy("x", 20, 1)), HOSTS, List.of()));
    }

    @Provide
    Arbitrary<Tuple.Tuple3<List<CpuPolicy>, List<HostCpu>, List<Instances>>> pools() {
        Arbitrary<List<HostCpu>> hosts = Combinators.combine(
                Arbitraries.integers().between(1, 8),
                Arbitraries.doubles().between(0.5, 64).list().ofSize(8),
                Arbitraries.of(true, true, true, false).list().ofSize(8))
                .as((n, cores, alive) -> {
                    List<HostCpu> l = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        l.add(new HostCpu("h" + i, cores.get(i), alive.get(i)));
                    }
                    return l;
                });
        return hosts.flatMap(hs -> {
            Arbitrary<List<CpuPolicy>> ps = Combinators.combine(
                    Arbitraries.integers().between(0, 6),
                    Arbitraries.doubles().between(1, 60).list().ofSize(6),
                    Arbitraries.integers().between(0, 2).list().ofSize(6))
                    .as((n, pct, pr) -> {
                        List<CpuPolicy> l = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            l.add(new CpuPolicy("a" + i, pct.get(i), pr.get(i)));
                        }
                        return l;
                    });
            Arbitrary<List<Instances>> is = Combinators.combine(
                    Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, hs.size() - 1),
                    Arbitraries.integers().between(0, 3)).as((a, h, c) -> new Instances("a" + a, "h" + h, c))
                    .list().ofMaxSize(20);
            return Combinators.combine(ps, Arbitraries.just(hs), is).as(Tuple::of);
        });
    }

    @Property
    void hostsAreNeverOverbookedAndPlacedNeverExceedsTarget(
            @ForAll("pools") Tuple.Tuple3<List<CpuPolicy>, List<HostCpu>, List<Instances>> pool) {
        CpuAllocation a = PoolCpuAllocator.allocate(pool.get1(), pool.get2(), pool.get3());
        for (HostCpu h : pool.get2()) {
            assertTrue(a.onHost(h.hostId()) <= h.cores() * (1 + 1e-9), "host " + h.hostId() + " overbooked");
            if (!h.alive()) {
                assertEquals(0, a.onHost(h.hostId()));
            }
        }
        for (CpuPolicy p : pool.get1()) {
            double target = a.targets().granted(p.appId());
            double placed = a.placed(p.appId());
            assertTrue(placed <= target * (1 + 1e-9) + 1e-12);
            boolean reported = a.insufficient().stream().anyMatch(i -> i.id().equals(p.appId()));
            double wanted = p.poolPercent() / 100 * a.nominalCores();
            assertEquals(placed < wanted * (1 - 1e-9), reported,
                    "short iff reported: " + p.appId() + " placed " + placed + " of " + wanted);
        }
    }

    @Property
    void sameResultForAnyInputOrder(
            @ForAll("pools") Tuple.Tuple3<List<CpuPolicy>, List<HostCpu>, List<Instances>> pool, @ForAll long seed) {
        Random r = new Random(seed);
        List<CpuPolicy> p = new ArrayList<>(pool.get1());
        List<HostCpu> h = new ArrayList<>(pool.get2());
        List<Instances> i = new ArrayList<>(pool.get3());
        Collections.shuffle(p, r);
        Collections.shuffle(h, r);
        Collections.shuffle(i, r);
        assertEquals(PoolCpuAllocator.allocate(pool.get1(), pool.get2(), pool.get3()),
                PoolCpuAllocator.allocate(p, h, i));
    }
}
