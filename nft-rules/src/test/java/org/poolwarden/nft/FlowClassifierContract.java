package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * What every {@link FlowClassifier} must do, run against the fake and against libnftables in a scratch network
 * namespace.
 */
abstract class FlowClassifierContract {
    /** One "kernel" (a fake one, or a scratch network namespace) that instances can be opened on. */
    interface Env {
        /** A new classifier instance on this kernel; opening a second one is a restart. */
        FlowClassifier open();

        /** An outsider changes our table. */
        void outside(List<Op> ops);

        /** The table as the kernel has it now. */
        TableState table();

        /** {@code n} pings to 127.0.0.1 (each an echo request and an echo reply leaving the host). */
        void pingLoopback(int n) throws Exception;
    }

    interface Body {
        void run(Env env) throws Exception;
    }

    abstract void inKernel(Body body) throws Exception;

    static final TableRenderer RENDERER = new TableRenderer("");

    @Test
    void firstApplyCreatesTheTableAndApplyingAgainSendsNothing() throws Exception {
        inKernel(env -> {
            try (FlowClassifier c = env.open()) {
                FlowClassifier.Reconcile first = c.apply(Samples.smallNoCgroup());
                assertTrue(first.commands() > 0);
                assertFalse(first.adopted());
                assertTrue(env.table().sameAs(RENDERER.render(Samples.smallNoCgroup())));
                FlowClassifier.Reconcile second = c.apply(Samples.smallNoCgroup());
                assertEquals(new FlowClassifier.Reconcile(0, false, false), second);
                assertEquals(1, c.stats().unchangedShortcuts(), "answered from the generation id, no read");
                assertEquals(1, c.stats().batchesSent());
                assertEquals(2, c.stats().reconciles());
            }
        });
    }

    @Test
    void changesAreIncrementalElementsInOneBatch() throws Exception {
        inKernel(env -> {
            try (FlowClassifier c = env.open()) {
                c.apply(Samples.many(200));
                TableState before = env.table();
                // Move one exact rule to the other app and add one rule of a new shape.
                DesiredState next = Samples.many(200);
                List<FlowRuleSpec> specs = new java.util.ArrayList<>();
                for (FlowRule r : next.rules()) {
                    specs.add(new FlowRuleSpec(r.app(), "tcp", null, FieldType.IPV4.format(r.remote().range()), null,
                            FieldType.PORT.format(r.remotePort().interval())));
                }
                specs.set(1, new FlowRuleSpec("web", "tcp", null, specs.get(1).remote(), null, specs.get(1).remotePort()));
                specs.add(FlowRuleSpec.remote("batch", "udp", "192.0.2.1", "53"));
                DesiredState changed = DesiredState.of(next.apps().stream()
                        .map(a -> AppSpec.of(a.name(), a.classId().toString())).toList(), specs);
                FlowClassifier.Reconcile r = c.apply(changed);
                // delete+add for the moved element; a new map, its rule (flows chain refilled), its element.
                assertTrue(r.commands() <= 8, "commands: " + r.commands());
                assertEquals(1, c.stats().tableReads(), "only our own commits since the first read: no read back");
                TableState after = env.table();
                assertTrue(after.sameAs(RENDERER.render(changed)));
                assertEquals(before.elementCount() + 1, after.elementCount());
                assertEquals(new FlowClassifier.Reconcile(0, false, false), c.apply(changed));
            }
        });
    }

    @Test
    void aRestartAdoptsTheTableAndSendsNothing() throws Exception {
        inKernel(env -> {
            try (FlowClassifier first = env.open()) {
                first.apply(Samples.smallNoCgroup());
            }
            try (FlowClassifier second = env.open()) {
                FlowClassifier.Reconcile r = second.apply(Samples.smallNoCgroup());
                assertEquals(new FlowClassifier.Reconcile(0, false, true), r);
                assertEquals(0, second.stats().batchesSent());
            }
        });
    }

    @Test
    void outsideChangesAreUndoneAndCounted() throws Exception {
        inKernel(env -> {
            try (FlowClassifier c = env.open()) {
                c.apply(Samples.smallNoCgroup());
                TableState t = env.table();
                TableState.NftMap m = t.maps.get("flows_lport_proto");
                List<org.poolwarden.nft.Interval> key = m.elements.keySet().iterator().next();
                env.outside(List.of(
                        new Op.DeleteElements(m.name, m.fieldTypes(), List.of(key)),
                        new Op.AddElements(m.name, m.fieldTypes(),
                                List.of(Map.entry(List.of(Interval.point(9), Interval.point(17)), "jump app_web"))),
                        new Op.AddRule("flows", new TableState.Rule("intruder", "counter")),
                        new Op.AddCounter("intruder")));
                assertFalse(env.table().sameAs(RENDERER.render(Samples.smallNoCgroup())));
                FlowClassifier.Reconcile r = c.apply(Samples.smallNoCgroup());
                assertEquals(2, c.stats().tableReads(), "an outside commit makes it read the table again");
                assertTrue(r.drift());
                assertTrue(r.commands() > 0);
                assertTrue(env.table().sameAs(RENDERER.render(Samples.smallNoCgroup())));
                assertEquals(1, c.stats().driftsUndone());
                assertEquals(new FlowClassifier.Reconcile(0, false, false), c.apply(Samples.smallNoCgroup()));
                assertEquals(1, c.stats().driftsUndone());
            }
        });
    }

    @Test
    void badInputSendsNothingAndChangesNothing() throws Exception {
        inKernel(env -> {
            try (FlowClassifier c = env.open()) {
                c.apply(Samples.smallNoCgroup());
                TableState before = env.table();
                List<AppSpec> apps = List.of(AppSpec.of("a", "1:1"), AppSpec.of("b", "1:2"));
                DesiredState overlapping = DesiredState.of(apps, List.of(
                        FlowRuleSpec.remote("a", "tcp", "10.0.0.0/8", "1-100"),
                        FlowRuleSpec.remote("b", "tcp", "10.9.0.0/16", "50-60")));
                assertThrows(InvalidFlowConfigException.class, () -> c.apply(overlapping));
                assertTrue(env.table().sameAs(before));
                assertEquals(1, c.stats().failures());
                assertEquals(1, c.stats().batchesSent());
            }
        });
    }

    @Test
    void countersCountPerAppAndSurviveReconciles() throws Exception {
        inKernel(env -> {
            try (FlowClassifier c = env.open()) {
                DesiredState s = DesiredState.of(List.of(AppSpec.of("loop", "1:5"), AppSpec.of("other", "1:6")),
                        List.of(FlowRuleSpec.remote("loop", null, "127.0.0.1", null)));
                c.apply(s);
                assertEquals(Map.of("loop", Traffic.ZERO, "other", Traffic.ZERO), c.counters().apps());
                env.pingLoopback(3);
                AppCounters after = c.counters();
                assertEquals(6, after.of("loop").packets(), after.toString());
                assertTrue(after.of("loop").bytes() >= 6 * 84, after.toString());
                assertEquals(0, after.of("other").packets());
                // A change elsewhere keeps the counter.
                c.apply(DesiredState.of(List.of(AppSpec.of("loop", "1:5"), AppSpec.of("other", "1:6")),
                        List.of(FlowRuleSpec.remote("loop", null, "127.0.0.1", null),
                                FlowRuleSpec.remote("other", "udp", "192.0.2.1", "53"))));
                assertEquals(after.of("loop"), c.counters().of("loop"));
            }
        });
    }

    @Test
    void removeAllDeletesTheTable() throws Exception {
        inKernel(env -> {
            try (FlowClassifier c = env.open()) {
                c.apply(Samples.smallNoCgroup());
                c.removeAll();
                assertFalse(env.table().present);
                assertTrue(c.counters().apps().isEmpty());
                assertTrue(c.apply(Samples.smallNoCgroup()).commands() > 0);
            }
        });
    }
}
