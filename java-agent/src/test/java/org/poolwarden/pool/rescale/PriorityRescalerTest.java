package org.poolwarden.pool.rescale;

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
import net.jqwik.api.constraints.DoubleRange;
import org.junit.jupiter.api.Test;

class PriorityRescalerTest {

    static final List<Claim> CLAIMS = List.of(
            new Claim("gold", 10, 40), new Claim("silver-a", 5, 30), new Claim("silver-b", 5, 10),
            new Claim("bronze", 1, 20));

    @Test
    void everythingFitsNothingChanges() {
        RescaleResult r = PriorityRescaler.rescale("cpu", CLAIMS, 100);
        assertEquals(40, r.granted("gold"));
        assertEquals(30, r.granted("silver-a"));
        assertEquals(20, r.granted("bronze"));
        assertTrue(r.insufficient().isEmpty());
    }

    @Test
    void higherPriorityKeepsItsAbsoluteAmountLowerShrinkProportionally() {
        RescaleResult r = PriorityRescaler.rescale("cpu", CLAIMS, 60);
        assertEquals(40, r.granted("gold"));
        assertEquals(15, r.granted("silver-a"), 1e-9);
        assertEquals(5, r.granted("silver-b"), 1e-9);
        assertEquals(0, r.granted("bronze"));
        assertEquals(List.of(
                new InsufficientResources("cpu", "silver-a", 30, 15),
                new InsufficientResources("cpu", "silver-b", 10, 5),
                new InsufficientResources("cpu", "bronze", 20, 0)), r.insufficient());
    }

    @Test
    void badCapacityIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> PriorityRescaler.rescale("cpu", CLAIMS, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> PriorityRescaler.rescale("cpu", CLAIMS, -1));
        assertThrows(IllegalArgumentException.class, () -> new Claim("x", 1, Double.NaN));
    }

    @Test
    void trackerReportsShortThenRestoredWhenCapacityReturns() {
        InsufficiencyTracker t = new InsufficiencyTracker();
        assertTrue(t.update(PriorityRescaler.rescale("cpu", CLAIMS, 100).insufficient()).isEmpty());
        List<InsufficiencyTracker.Event> failed = t.update(PriorityRescaler.rescale("cpu", CLAIMS, 95).insufficient());
        assertEquals(List.of(new InsufficiencyTracker.Short(new InsufficientResources("cpu", "bronze", 20, 15))),
                failed);
        assertTrue(t.update(PriorityRescaler.rescale("cpu", CLAIMS, 95).insufficient()).isEmpty(),
                "no repeated event while nothing changes");
        assertEquals(List.of(new InsufficiencyTracker.Restored("cpu", "bronze")),
                t.update(PriorityRescaler.rescale("cpu", CLAIMS, 100).insufficient()));
        assertEquals(1, t.shortEvents());
        assertEquals(1, t.restoredEvents());
    }

    @Provide
    Arbitrary<List<Claim>> claims() {
        Arbitrary<Claim> c = Combinators.combine(
                Arbitraries.strings().withCharRange('a', 'e').ofLength(2),
                Arbitraries.integers().between(0, 3),
                Arbitraries.doubles().between(0, 50)).as(Claim::new);
        return c.list().ofMaxSize(12).uniqueElements(Claim::id);
    }

    @Property
    void neverExceedsCapacityAndPriorityIsStrict(@ForAll("claims") List<Claim> cs,
                                                 @ForAll @DoubleRange(min = 0, max = 300) double capacity) {
        RescaleResult r = PriorityRescaler.rescale("cpu", cs, capacity);
        assertTrue(r.total() <= capacity * (1 + 1e-12) + 1e-9);
        for (Granted hi : r.grants()) {
            for (Granted lo : r.grants()) {
                if (hi.priority() > lo.priority() && lo.granted() > 0) {
                    assertEquals(hi.requested(), hi.granted(), 1e-9,
                            "a lower level got something while a higher one was short");
                }
            }
            assertTrue(hi.granted() <= hi.requested() + 1e-12);
        }
        // Work conserving: if something is short, capacity is used up.
        if (!r.insufficient().isEmpty()) {
            assertEquals(capacity, r.total(), 1e-6 * Math.max(1, capacity));
        }
    }

    @Property
    void restoringCapacityRestoresTheOriginalAmounts(@ForAll("claims") List<Claim> cs,
                                                     @ForAll @DoubleRange(min = 0, max = 1) double lost) {
        double all = cs.stream().mapToDouble(Claim::amount).sum();
        RescaleResult before = PriorityRescaler.rescale("cpu", cs, all);
        PriorityRescaler.rescale("cpu", cs, all * (1 - lost));
        RescaleResult after = PriorityRescaler.rescale("cpu", cs, all);
        assertEquals(before, after);
        for (Claim c : cs) {
            assertEquals(c.amount(), after.granted(c.id()), 1e-9 * Math.max(1, all));
        }
    }

    @Property
    void inputOrderDoesNotMatter(@ForAll("claims") List<Claim> cs, @ForAll long seed,
                                 @ForAll @DoubleRange(min = 0, max = 300) double capacity) {
        List<Claim> shuffled = new ArrayList<>(cs);
        Collections.shuffle(shuffled, new Random(seed));
        assertEquals(PriorityRescaler.rescale("cpu", cs, capacity), PriorityRescaler.rescale("cpu", shuffled,
                capacity));
    }
}
