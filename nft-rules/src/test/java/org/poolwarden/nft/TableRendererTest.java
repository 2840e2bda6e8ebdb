package org.poolwarden.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

class TableRendererTest {
    private final TableRenderer renderer = new TableRenderer("unified");

    static String resource(String name) throws IOException {
        try (InputStream in = TableRendererTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The golden batch was loaded into a real kernel with {@code nft -f} (nft 1.0.6) and accepted. */
    @Test
    void smallStateRendersToTheGoldenBatch() throws IOException {
        Batch b = TableDiff.between(TableState.absent(), renderer.render(Samples.small()));
        assertEquals(resource("small-batch.nft").strip(), b.text().strip());
    }

    @Test
    void tenThousandRulesBecomeAFewMapsNotTenThousandRules() {
        TableState t = renderer.render(Samples.many(10_000));
        assertEquals(10_000 + 2, t.elementCount(), "one element per rule, plus the restore map's two");
        assertEquals(3, t.maps.size(), "restore, one hash map, one interval map");
        assertEquals(3, t.chains.get(TableRenderer.FLOWS_CHAIN).rules.size(), "two lookups and the unclassified counter");
        int rules = t.chains.values().stream().mapToInt(c -> c.rules.size()).sum();
        assertTrue(rules < 12, "rules in total: " + rules);
        Batch b = TableDiff.between(TableState.absent(), t);
        long elementCommands = b.ops().stream().filter(o -> o instanceof Op.AddElements).count();
        assertEquals(4, elementCommands, "restore + 9000 exact in two commands of <= 5000 + 1000 intervals");
    }

    @Test
    void exactMapIsLookedUpBeforeTheIntervalMapOfTheSameShape() {
        DesiredState s = DesiredState.of(List.of(AppSpec.of("a", "1:1"), AppSpec.of("b", "1:2")), List.of(
                FlowRuleSpec.remote("a", "tcp", "10.0.0.0/8", "80"),
                FlowRuleSpec.remote("b", "tcp", "10.1.2.3", "80")));
        List<String> flows = renderer.render(s).chains.get("flows").rules.stream().map(TableState.Rule::text).toList();
        assertEquals(List.of(
                "ip daddr . th dport . meta l4proto vmap @flows_v4_raddr_rport_proto",
                "ip daddr . th dport . meta l4proto vmap @flows_v4_raddr_rport_proto_iv",
                "counter name \"unclassified\""), flows);
    }

    @Test
    void anyProtocolWithPortsMeansTcpAndUdp() {
        DesiredState s = DesiredState.of(List.of(AppSpec.of("dns", "1:5")), List.of(
                new FlowRuleSpec("dns", "any", null, null, null, "53")));
        TableState.NftMap m = renderer.render(s).maps.get("flows_rport_proto");
        assertEquals(List.of("53 . tcp", "53 . udp"), m.elements.keySet().stream()
                .map(k -> FieldType.PORT.format(k.get(0)) + " . " + FieldType.PROTO.format(k.get(1))).toList());
    }

    @Test
    void overlappingRulesOfOneMapAreBadInputNamingBoth() {
        List<AppSpec> apps = List.of(AppSpec.of("a", "1:1"), AppSpec.of("b", "1:2"));
        InvalidFlowConfigException e = assertThrows(InvalidFlowConfigException.class, () -> renderer.render(
                DesiredState.of(apps, List.of(
                        FlowRuleSpec.remote("a", "tcp", "10.0.0.0/8", "1000-2000"),
                        FlowRuleSpec.remote("a", "tcp", "192.168.0.0/16", "80"),
                        FlowRuleSpec.remote("b", "tcp", "10.20.0.0/16", "1500-1600")))));
        assertEquals("rules[2]", e.field());
        assertTrue(e.getMessage().contains("rules[0]"), e.getMessage());

        InvalidFlowConfigException dup = assertThrows(InvalidFlowConfigException.class, () -> renderer.render(
                DesiredState.of(apps, List.of(
                        FlowRuleSpec.remote("a", "tcp", "10.0.0.1", "80"),
                        FlowRuleSpec.remote("b", "tcp", "10.0.0.1", "80")))));
        assertEquals("rules[1]", dup.field());
        // Disjoint in one field is enough.
        renderer.render(DesiredState.of(apps, List.of(
                FlowRuleSpec.remote("a", "tcp", "10.0.0.0/8", "1000-2000"),
                FlowRuleSpec.remote("b", "tcp", "10.20.0.0/16", "2001-3000"))));
    }

    @Test
    void cgroupRulesUseTheMountPrefixAndTheLevelOfThePath() {
        TableState hybrid = renderer.render(Samples.small());
        TableState v2 = new TableRenderer("").render(Samples.small());
        assertTrue(hybrid.chains.get("output").rules.get(1).text()
                .equals("socket cgroupv2 level 2 \"unified/poolwarden/backup\" jump app_backup"));
        assertTrue(v2.chains.get("output").rules.get(1).text()
                .equals("socket cgroupv2 level 2 \"poolwarden/backup\" jump app_backup"));
        assertTrue(hybrid.chains.get("forward").rules.stream().noneMatch(r -> r.text().contains("socket")),
                "socket expressions are not allowed on the forward path");
    }

    @Test
    void bigIntervalShapesAreSpreadOverAFewMapsStably() {
        DesiredState big = NftBenchmarkTest.intervals(10_000);
        TableState t = renderer.render(big);
        List<String> maps = t.maps.keySet().stream().filter(n -> n.startsWith("flows")).sorted().toList();
        assertEquals(List.of("flows_v4_raddr_rport_proto_iv", "flows_v4_raddr_rport_proto_iv_s1",
                "flows_v4_raddr_rport_proto_iv_s2", "flows_v4_raddr_rport_proto_iv_s3"), maps);
        for (String m : maps) {
            int size = t.maps.get(m).elements.size();
            assertTrue(size > 2000 && size < 3000, m + " has " + size);
        }
        assertEquals(10_000 + 2, t.elementCount());
        assertEquals(5, t.chains.get("flows").rules.size(), "one lookup per map and the unclassified counter");
        // Removing one rule keeps every other element where it was: one delete.
        List<FlowRuleSpec> specs = new java.util.ArrayList<>();
        for (FlowRule r : big.rules()) {
            specs.add(new FlowRuleSpec(r.app(), "tcp", null, FieldType.IPV4.format(r.remote().range()), null,
                    FieldType.PORT.format(r.remotePort().interval())));
        }
        specs.remove(777);
        Batch b = TableDiff.between(t, renderer.render(DesiredState.of(
                big.apps().stream().map(a -> AppSpec.of(a.name(), a.classId().toString())).toList(), specs)));
        assertEquals(1, b.size(), b.text());
        assertTrue(b.ops().get(0) instanceof Op.DeleteElements);
    }
}
