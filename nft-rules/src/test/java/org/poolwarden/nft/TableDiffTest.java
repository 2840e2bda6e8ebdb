package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class TableDiffTest {
    private final TableRenderer renderer = new TableRenderer("");

    @Provide
    Arbitrary<DesiredState> states() {
        Arbitrary<FlowRuleSpec> rule = Combinators.combine(
                Arbitraries.of("a", "b", "c"),
                Arbitraries.of("tcp", "udp", "any"),
                Arbitraries.integers().between(0, 7),
                Arbitraries.of("", "80", "443", "1000-1999"),
                Arbitraries.of("", "/24", "/32")).as((app, proto, host, port, mask) -> new FlowRuleSpec(app, proto,
                null, host == 0 ? null : "10.0." + host + ".1" + mask.replace("/24", "").replace("/32", ""),
                null, port.isEmpty() ? null : port));
        return rule.list().ofMaxSize(12).uniqueElements().map(rules -> {
            List<AppSpec> apps = List.of(AppSpec.of("a", "1:1"), AppSpec.of("b", "1:2"), AppSpec.of("c", "2:3"));
            // Drop rules that would collide with an earlier one, and ones that match everything.
            List<FlowRuleSpec> kept = new ArrayList<>();
            for (FlowRuleSpec r : rules) {
                List<FlowRuleSpec> trial = new ArrayList<>(kept);
                trial.add(r);
                try {
                    renderer.render(DesiredState.of(apps, trial));
                    kept.add(r);
                } catch (InvalidFlowConfigException e) {
                    // collides: leave it out
                }
            }
            return DesiredState.of(apps, kept);
        });
    }

    @Property(tries = 200)
    void diffTakesAnyStateToAnyOther(@ForAll("states") DesiredState a, @ForAll("states") DesiredState b) {
        FakeFlowClassifier.Kernel k = new FakeFlowClassifier.Kernel();
        k.run(TableDiff.between(k.table(), renderer.render(a)).ops());
        assertTrue(k.table().sameAs(renderer.render(a)));
        k.run(TableDiff.between(k.table(), renderer.render(b)).ops());
        assertTrue(k.table().sameAs(renderer.render(b)), () -> TableDiff.between(k.table(), renderer.render(b)).text());
        assertTrue(TableDiff.between(renderer.render(b), renderer.render(b)).isEmpty());
    }

    @Property(tries = 100)
    void addingOneRuleSendsOneElementAndNoRuleChurnWhenTheShapeExists(@ForAll("states") DesiredState a) {
        List<FlowRuleSpec> rules = new ArrayList<>();
        for (FlowRule r : a.rules()) {
            rules.add(new FlowRuleSpec(r.app(), r.protocol().name(), null,
                    r.remote() == null ? null : FieldType.IPV4.format(r.remote().range()), null,
                    r.remotePort() == null ? null : FieldType.PORT.format(r.remotePort().interval())));
        }
        List<AppSpec> apps = a.apps().stream().map(x -> AppSpec.of(x.name(), x.classId().toString())).toList();
        rules.add(FlowRuleSpec.remote("a", "tcp", "172.16.0.1", "22"));
        rules.add(FlowRuleSpec.remote("a", "tcp", "172.16.0.2", "22"));
        TableState before = renderer.render(DesiredState.of(apps, rules));
        rules.add(FlowRuleSpec.remote("b", "tcp", "172.16.0.3", "22"));
        Batch b = TableDiff.between(before, renderer.render(DesiredState.of(apps, rules)));
        assertEquals(1, b.size(), b.text());
        assertEquals("add element inet poolwarden flows_v4_raddr_rport_proto { 172.16.0.3 . 22 . tcp : jump app_b }",
                b.ops().get(0).text());
    }

    @Test
    void movingARuleToAnotherAppReplacesItsElementInOneBatch() {
        List<AppSpec> apps = List.of(AppSpec.of("a", "1:1"), AppSpec.of("b", "1:2"));
        TableState before = renderer.render(DesiredState.of(apps, List.of(FlowRuleSpec.remote("a", "tcp", "10.0.0.0/8", "80"))));
        TableState after = renderer.render(DesiredState.of(apps, List.of(FlowRuleSpec.remote("b", "tcp", "10.0.0.0/8", "80"))));
        assertEquals("""
                delete element inet poolwarden flows_v4_raddr_rport_proto_iv { 10.0.0.0/8 . 80 . tcp }
                add element inet poolwarden flows_v4_raddr_rport_proto_iv { 10.0.0.0/8 . 80 . tcp : jump app_b }
                """, TableDiff.between(before, after).text());
    }

    @Test
    void changingAnAppsClassRewritesOnlyItsChainAndRestoreElement() {
        TableState before = renderer.render(DesiredState.of(List.of(AppSpec.of("a", "1:1")),
                List.of(FlowRuleSpec.remote("a", "tcp", "10.0.0.1", "80"))));
        TableState after = renderer.render(DesiredState.of(List.of(AppSpec.of("a", "1:7")),
                List.of(FlowRuleSpec.remote("a", "tcp", "10.0.0.1", "80"))));
        assertEquals("""
                flush chain inet poolwarden app_a
                delete element inet poolwarden restore { 0x00010001 }
                add element inet poolwarden restore { 0x00010007 : jump app_a }
                add rule inet poolwarden app_a ct mark set 0x00010007 meta priority set 1:7 counter name "app_a" accept comment "%s"
                """.formatted(after.chains.get("app_a").rules.get(0).id()), TableDiff.between(before, after).text());
    }

    @Test
    void removingAnAppDeletesItsReferencesBeforeItsChainAndCounter() {
        List<AppSpec> two = List.of(AppSpec.of("a", "1:1"), AppSpec.of("b", "1:2"));
        TableState before = renderer.render(DesiredState.of(two, List.of(FlowRuleSpec.remote("a", "tcp", "10.0.0.1", "80"),
                FlowRuleSpec.remote("b", "tcp", "10.0.0.2", "80"))));
        TableState after = renderer.render(DesiredState.of(two.subList(0, 1),
                List.of(FlowRuleSpec.remote("a", "tcp", "10.0.0.1", "80"))));
        List<String> ops = TableDiff.between(before, after).ops().stream().map(Op::text).toList();
        assertEquals(List.of(
                "flush chain inet poolwarden app_b",
                "delete element inet poolwarden restore { 0x00010002 }",
                "delete element inet poolwarden flows_v4_raddr_rport_proto { 10.0.0.2 . 80 . tcp }",
                "delete chain inet poolwarden app_b",
                "delete counter inet poolwarden app_b"), ops);
    }
}
