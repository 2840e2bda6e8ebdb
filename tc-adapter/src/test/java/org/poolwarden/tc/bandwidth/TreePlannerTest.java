package org.poolwarden.tc.bandwidth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.poolwarden.tc.htb.HtbArithmetic;
import org.poolwarden.tc.htb.Psched;

class TreePlannerTest {
    static final long MBIT = 1_000_000;
    final TreePlanner planner = new TreePlanner(Psched.MODERN, HtbArithmetic.DEFAULT_MTU);

    @Provide
    Arbitrary<BandwidthSpec.TreeSpec> trees() {
        Arbitrary<Long> share = Arbitraries.longs().between(10, 100_000).map(m -> m * MBIT);
        return share.flatMap(s -> Arbitraries.integers().between(0, 12).flatMap(n -> {
            Arbitrary<List<Integer>> minors = Arbitraries.integers().between(2, 0x7ffe).list().ofSize(n + 1).uniqueElements();
            Arbitrary<List<Long>> rates = Arbitraries.longs().between(8_000, s / Math.max(1, n)).list().ofSize(n);
            Arbitrary<List<Integer>> ports = Arbitraries.integers().between(1, 65535).list().ofSize(n);
            return Combinators.combine(minors, rates, ports).as((ms, rs, ps) -> {
                List<BandwidthSpec.AppClass> apps = new ArrayList<>();
                List<BandwidthSpec.Classifier> cls = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    apps.add(new BandwidthSpec.AppClass("app" + i, ms.get(i + 1), rs.get(i), s));
                    cls.add(new BandwidthSpec.Classifier(i + 1, FlowMatch.dport(6, ps.get(i)), ms.get(i + 1)));
                }
                return new BandwidthSpec.TreeSpec(s, new BandwidthSpec.DefaultClass(ms.get(0), 8_000, s), apps, cls);
            });
        }));
    }

    /** Applies operations to a state the way the kernel would (enough for the planner's own round trip). */
    static TreeState applyOps(TreePlanner p, TreeState have, List<TcOp> ops) {
        TreeState.RootQdisc root = have.root();
        Map<Integer, TreeState.ClassState> classes = new HashMap<>(have.classes());
        Map<Integer, Integer> leaves = new HashMap<>(have.leafLimits());
        Map<Integer, TreeState.FilterState> filters = new HashMap<>(have.filters());
        for (TcOp op : ops) {
            if (op instanceof TcOp.SetRoot r) {
                root = new TreeState.RootQdisc(BandwidthController.ROOT_MAJOR << 16, "htb", r.defaultMinor());
                classes.clear();
                leaves.clear();
                filters.clear();
            } else if (op instanceof TcOp.SetClass c) {
                var o = c.options();
                classes.put(c.minor(), new TreeState.ClassState(c.parentMinor(), o.rate(), o.ceil(),
                        HtbArithmetic.burstTicks(o.rate(), o.effectiveBurst(Psched.MODERN), Psched.MODERN),
                        HtbArithmetic.burstTicks(o.ceil(), o.effectiveCburst(Psched.MODERN), Psched.MODERN),
                        o.effectiveQuantum(TreePlanner.R2Q), o.prio()));
            } else if (op instanceof TcOp.DeleteClass d) {
                classes.remove(d.minor());
                leaves.remove(d.minor());
            } else if (op instanceof TcOp.SetLeaf l) {
                leaves.put(l.minor(), l.limit());
            } else if (op instanceof TcOp.AddFilter f) {
                filters.put(f.prio(), new TreeState.FilterState(f.selector().keys(), f.classMinor()));
            } else if (op instanceof TcOp.DeleteFilter f) {
                filters.remove(f.prio());
            }
        }
        return new TreeState(root, classes, leaves, filters);
    }

    @Property(tries = 300)
    void theOperationsReachTheWantedStateAndThenThereIsNothingLeftToDo(@ForAll("trees") BandwidthSpec.TreeSpec t) {
        SpecValidator.validate(new BandwidthSpec("eth0", t.share(), t, null, false));
        TreeState want = planner.want(t);
        TreeState fromScratch = applyOps(planner, new TreeState(new TreeState.RootQdisc(0, "noqueue", 0), Map.of(),
                Map.of(), Map.of()), planner.diff(want, TreeState.empty()));
        assertEquals(want, fromScratch);
        assertTrue(planner.diff(want, fromScratch).isEmpty());
    }

    @Property(tries = 300)
    void movingBetweenTwoTreesNeverRebuildsTheRootUnlessTheDefaultClassMoves(@ForAll("trees") BandwidthSpec.TreeSpec a,
                                                                               @ForAll("trees") BandwidthSpec.TreeSpec b) {
        TreeState have = planner.want(a);
        TreeState want = planner.want(b);
        List<TcOp> ops = planner.diff(want, have);
        boolean rebuilt = ops.stream().anyMatch(o -> o instanceof TcOp.SetRoot);
        assertEquals(a.defaultClass().minor() != b.defaultClass().minor(), rebuilt, ops.toString());
        assertEquals(want, applyOps(planner, have, ops));
    }

    @Test
    void aRateChangeIsOneInPlaceChange() {
        BandwidthSpec.TreeSpec t1 = tree(30 * MBIT);
        BandwidthSpec.TreeSpec t2 = tree(20 * MBIT);
        List<TcOp> ops = planner.diff(planner.want(t2), planner.want(t1));
        assertEquals(1, ops.size());
        TcOp.SetClass c = assertInstanceOf(TcOp.SetClass.class, ops.get(0));
        assertEquals(0x10, c.minor());
        assertEquals(20 * MBIT / 8, c.options().rate());
        assertTrue(!c.create());
    }

    @Test
    void staleFiltersGoBeforeAndStaleClassesAfterEverythingElse() {
        BandwidthSpec.TreeSpec t = tree(30 * MBIT);
        BandwidthSpec.TreeSpec fewer = new BandwidthSpec.TreeSpec(t.share(), t.defaultClass(), t.apps().subList(0, 1),
                t.classifiers().subList(0, 1));
        List<TcOp> ops = planner.diff(planner.want(fewer), planner.want(t));
        assertInstanceOf(TcOp.DeleteFilter.class, ops.get(0));
        assertInstanceOf(TcOp.DeleteClass.class, ops.get(ops.size() - 1));
        assertEquals(2, ops.size(), ops.toString());
    }

    @Test
    void aForeignFilterAtOneOfOurPrioritiesIsReplaced() {
        TreeState want = planner.want(tree(30 * MBIT));
        Map<Integer, TreeState.FilterState> filters = new HashMap<>(want.filters());
        filters.put(10, new TreeState.FilterState(List.of(), -1));
        TreeState have = new TreeState(want.root(), want.classes(), want.leafLimits(), filters);
        List<TcOp> ops = planner.diff(want, have);
        assertEquals(List.of(new TcOp.DeleteFilter(10)), ops.subList(0, 1));
        assertInstanceOf(TcOp.AddFilter.class, ops.get(1));
    }

    static BandwidthSpec.TreeSpec tree(long webRate) {
        return new BandwidthSpec.TreeSpec(40 * MBIT, new BandwidthSpec.DefaultClass(0x7000, MBIT, 40 * MBIT),
                List.of(new BandwidthSpec.AppClass("web", 0x10, webRate, 40 * MBIT),
                        new BandwidthSpec.AppClass("batch", 0x20, 10 * MBIT, 40 * MBIT)),
                List.of(new BandwidthSpec.Classifier(10, FlowMatch.dport(6, 80), 0x10),
                        new BandwidthSpec.Classifier(11, FlowMatch.dport(6, 443), 0x20)));
    }

    @Test
    void validatorNamesTheField() {
        BandwidthSpec.TreeSpec ok = tree(30 * MBIT);
        SpecValidator.validate(new BandwidthSpec("eth0", 40 * MBIT, ok, ok, false)); // fully booked is fine
        Map<String, BandwidthSpec> bad = new java.util.LinkedHashMap<>();
        bad.put("device", new BandwidthSpec("", 40 * MBIT, ok, null, false));
        bad.put("linkRate", new BandwidthSpec("eth0", 0, ok, null, false));
        bad.put("egress", new BandwidthSpec("eth0", 40 * MBIT, null, null, false));
        bad.put("egress.apps", new BandwidthSpec("eth0", 40 * MBIT, tree(31 * MBIT), null, false));
        bad.put("ingress.share", new BandwidthSpec("eth0", 39 * MBIT, null, ok, false));
        bad.put("egress.defaultClass.minor", new BandwidthSpec("eth0", 40 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(1, MBIT, MBIT), List.of(), List.of()), null, false));
        bad.put("egress.defaultClass.ceil", new BandwidthSpec("eth0", 40 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(2, MBIT, MBIT / 2), List.of(), List.of()), null, false));
        bad.put("egress.apps[1].app", new BandwidthSpec("eth0", 40 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(2, MBIT, MBIT), List.of(new BandwidthSpec.AppClass("x", 3, MBIT, MBIT),
                new BandwidthSpec.AppClass("x", 4, MBIT, MBIT)), List.of()), null, false));
        bad.put("egress.apps[0].rate", new BandwidthSpec("eth0", 40 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(2, MBIT, MBIT), List.of(new BandwidthSpec.AppClass("x", 3, 7_999, MBIT)),
                List.of()), null, false));
        bad.put("egress.classifiers[0].minor", new BandwidthSpec("eth0", 40 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(2, MBIT, MBIT), List.of(),
                List.of(new BandwidthSpec.Classifier(1, FlowMatch.dport(6, 80), 9))), null, false));
        bad.put("egress.classifiers[1].prio", new BandwidthSpec("eth0", 40 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(2, MBIT, MBIT), List.of(),
                List.of(new BandwidthSpec.Classifier(1, FlowMatch.dport(6, 80), 2),
                        new BandwidthSpec.Classifier(1, FlowMatch.dport(6, 81), 2))), null, false));
        bad.put("egress.classifiers[0].match", new BandwidthSpec("eth0", 40 * MBIT, new BandwidthSpec.TreeSpec(40 * MBIT,
                new BandwidthSpec.DefaultClass(2, MBIT, MBIT), List.of(),
                List.of(new BandwidthSpec.Classifier(1, new FlowMatch(null, null, 0, null, 0, null, 80), 2))), null, false));
        bad.forEach((field, spec) -> {
            BandwidthSpecException e = assertThrows(BandwidthSpecException.class, () -> SpecValidator.validate(spec), field);
            assertEquals(field, e.field(), e.getMessage());
        });
    }
}
