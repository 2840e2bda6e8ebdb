package org.poolwarden.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;
import org.poolwarden.policy.PriorityScaler.Demand;

class PriorityScalerTest {
    static Map<String, Long> scale(long capacity, Demand... d) {
        return PriorityScaler.scale(List.of(d), capacity).granted();
    }

    @Test
    void table() {
        // Everything fits: everyone gets the booking.
        assertEquals(Map.of("a", 30L, "b", 70L), scale(100, new Demand("a", 5, 30), new Demand("b", 1, 70)));
        // Higher priority first; the next level shares what is left in proportion.
        assertEquals(Map.of("hi", 60L, "m1", 20L, "m2", 20L, "lo", 0L), scale(100, new Demand("hi", 9, 60),
                new Demand("m1", 5, 30), new Demand("m2", 5, 30), new Demand("lo", 1, 10)));
        // Proportional inside a level: 40:20 of 30 -> 20:10.
        assertEquals(Map.of("a", 20L, "b", 10L), scale(30, new Demand("a", 5, 40), new Demand("b", 5, 20)));
        // Rounding: 3 x 10 into 10 -> 4,3,3 (the largest remainder first, ties by order), nothing lost.
        assertEquals(Map.of("a", 4L, "b", 3L, "c", 3L), scale(10, new Demand("a", 5, 10), new Demand("b", 5, 10),
                new Demand("c", 5, 10)));
        // The top level alone exceeds the capacity.
        assertEquals(Map.of("a", 50L, "b", 50L, "c", 0L), scale(100, new Demand("a", 9, 100), new Demand("b", 9, 100),
                new Demand("c", 1, 1)));
        // Zero capacity.
        assertEquals(Map.of("a", 0L), scale(0, new Demand("a", 5, 1)));
        // Huge amounts do not overflow.
        assertEquals(Map.of("a", Long.MAX_VALUE / 2 + 1, "b", Long.MAX_VALUE / 2), scale(Long.MAX_VALUE,
                new Demand("a", 5, Long.MAX_VALUE), new Demand("b", 5, Long.MAX_VALUE)));
        assertTrue(PriorityScaler.scale(List.of(), 0).sufficient());
    }

    @Test
    void badInput() {
        assertThrows(IllegalArgumentException.class, () -> new Demand("a", 1, -1));
        assertThrows(IllegalArgumentException.class, () -> scale(-1, new Demand("a", 1, 1)));
        assertThrows(IllegalArgumentException.class, () -> scale(5, new Demand("a", 1, 1), new Demand("a", 2, 1)));
    }

    @Provide
    Arbitrary<List<Demand>> demands() {
        Arbitrary<Demand> one = Combinators.combine(Arbitraries.integers().between(1, 10),
                Arbitraries.longs().between(0, 1_000_000_000_000L)).as((p, a) -> new Demand("x", p, a));
        return one.list().ofMinSize(0).ofMaxSize(12).map(l -> {
            List<Demand> named = new ArrayList<>();
            for (int i = 0; i < l.size(); i++) named.add(new Demand("app" + i, l.get(i).priority(), l.get(i).amount()));
            return named;
        });
    }

    @Property
    void neverExceedsCapacityNorABookingAndUsesAllItCan(@ForAll("demands") List<Demand> d,
                                                        @ForAll @LongRange(min = 0, max = 5_000_000_000_000L) long cap) {
        PriorityScaler.Result r = PriorityScaler.scale(d, cap);
        BigInteger sum = BigInteger.ZERO, booked = BigInteger.ZERO;
        for (Demand x : d) {
            long g = r.granted().get(x.id());
            assertTrue(g >= 0 && g <= x.amount(), x + " got " + g);
            sum = sum.add(BigInteger.valueOf(g));
            booked = booked.add(BigInteger.valueOf(x.amount()));
        }
        assertEquals(booked.min(BigInteger.valueOf(cap)), sum, "granted = min(capacity, booked)");
        assertEquals(booked.compareTo(BigInteger.valueOf(cap)) <= 0, r.sufficient());
    }

    @Property
    void higherPriorityNeverGetsASmallerFraction(@ForAll("demands") List<Demand> d,
                                                 @ForAll @LongRange(min = 0, max = 5_000_000_000_000L) long cap) {
        Map<String, Long> g = PriorityScaler.scale(d, cap).granted();
        for (Demand hi : d) {
            for (Demand lo : d) {
                if (hi.priority() <= lo.priority() || hi.amount() == 0 || lo.amount() == 0) continue;
                // g_hi / a_hi >= g_lo / a_lo, compared exactly
                BigInteger left = BigInteger.valueOf(g.get(hi.id())).multiply(BigInteger.valueOf(lo.amount()));
                BigInteger right = BigInteger.valueOf(g.get(lo.id())).multiply(BigInteger.valueOf(hi.amount()));
                assertTrue(left.compareTo(right) >= 0, hi + " vs " + lo + ": " + g);
            }
        }
    }

    @Property
    void equalPrioritiesDifferByAtMostOneUnitOfRounding(@ForAll("demands") List<Demand> d,
                                                        @ForAll @LongRange(min = 0, max = 5_000_000_000_000L) long cap) {
        Map<String, Long> g = PriorityScaler.scale(d, cap).granted();
        for (Demand a : d) {
            for (Demand b : d) {
                if (a.priority() != b.priority() || b.amount() == 0) continue;
                // |g_a - a_a * g_b / a_b| < 2, i.e. the same fraction up to rounding
                BigInteger lhs = BigInteger.valueOf(g.get(a.id())).multiply(BigInteger.valueOf(b.amount()))
                        .subtract(BigInteger.valueOf(a.amount()).multiply(BigInteger.valueOf(g.get(b.id())))).abs();
                BigInteger bound = BigInteger.valueOf(b.amount()).add(BigInteger.valueOf(a.amount()));
                assertTrue(lhs.compareTo(bound) <= 0, a + " vs " + b + ": " + g);
            }
        }
    }

    @Property
    void idempotent(@ForAll("demands") List<Demand> d, @ForAll @LongRange(min = 0, max = 5_000_000_000_000L) long cap) {
        Map<String, Long> once = PriorityScaler.scale(d, cap).granted();
        List<Demand> again = new ArrayList<>();
        for (Demand x : d) again.add(new Demand(x.id(), x.priority(), once.get(x.id())));
        PriorityScaler.Result twice = PriorityScaler.scale(again, cap);
        assertEquals(once, twice.granted());
        assertTrue(twice.sufficient());
    }

    @Property
    void orderOfInputDoesNotChangeWhatAnyoneGetsWhenThereIsNoTie(@ForAll("demands") List<Demand> d) {
        long cap = d.stream().mapToLong(Demand::amount).sum() / 2;
        Map<String, Long> forward = PriorityScaler.scale(d, cap).granted();
        List<Demand> rev = new ArrayList<>(d);
        java.util.Collections.reverse(rev);
        Map<String, Long> backward = new LinkedHashMap<>(PriorityScaler.scale(rev, cap).granted());
        for (Demand x : d) assertTrue(Math.abs(forward.get(x.id()) - backward.get(x.id())) <= 1, x.toString());
        assertFalse(cap < 0);
    }
}
