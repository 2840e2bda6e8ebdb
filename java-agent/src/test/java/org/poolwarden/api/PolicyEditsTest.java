package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.poolwarden.api.AgentApi.FieldError;
import org.poolwarden.config.Policy;
import org.poolwarden.config.Policy.Amount;
import org.poolwarden.config.Policy.BandwidthPolicy;
import org.poolwarden.config.Policy.CpuPolicy;

class PolicyEditsTest {
    static final Policy BASE = new Policy(7, new CpuPolicy(300, null, 50.0),
            List.of(new BandwidthPolicy("wan", new Amount.BitsPerSecond(30_000_000), new Amount.Percent(50))));

    static Map<String, String> edits(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    static Policy apply(Policy base, String... kv) {
        PolicyEdits.Result r = PolicyEdits.apply(base, edits(kv));
        assertEquals(List.of(), r.errors());
        return r.policy();
    }

    @Test
    void singleKeysChangeOnlyThemselves() {
        assertEquals(new Policy(3, BASE.cpu(), BASE.bandwidth()), apply(BASE, "priority", "3"));
        assertEquals(new Policy(7, new CpuPolicy(500, null, 50.0), BASE.bandwidth()), apply(BASE, "cpu.weight", "500"));
        assertEquals(new Policy(7, new CpuPolicy(300, null, null), BASE.bandwidth()), apply(BASE, "cpu.cap", "none"));
        assertEquals(new Policy(7, null, BASE.bandwidth()), apply(BASE, "cpu", "none"));
        assertEquals(new Policy(7, BASE.cpu(), List.of(new BandwidthPolicy("wan", new Amount.Percent(10),
                new Amount.Percent(50)))), apply(BASE, "bandwidth.wan.booking", "10%"));
        assertEquals(new Policy(7, BASE.cpu(), List.of()), apply(BASE, "bandwidth.wan", "none"));
        assertNull(apply(BASE, "policy", "none"));
    }

    @Test
    void weightAndPercentReplaceEachOther() {
        Policy p = apply(BASE, "cpu.percent", "25%");
        assertEquals(new CpuPolicy(null, 25.0, 50.0), p.cpu());
        assertEquals(new CpuPolicy(80, null, 50.0), apply(p, "cpu.weight", "80").cpu());
    }

    @Test
    void fromNoPolicyStartsAtTheDefaultPriority() {
        Policy p = apply(null, "bandwidth.lan.burst", "1gbit", "cpu.percent", "12.5");
        assertEquals(Policy.DEFAULT_PRIORITY, p.priority());
        assertEquals(new CpuPolicy(null, 12.5, null), p.cpu());
        assertEquals(List.of(new BandwidthPolicy("lan", null, new Amount.BitsPerSecond(1_000_000_000))), p.bandwidth());
        // clearing the last amount of a pipe drops the pipe's entry
        assertEquals(List.of(), apply(p, "bandwidth.lan.burst", "none").bandwidth());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "cpu.wieght|5|cpu.wieght",
        "prio|5|prio",
        "priority|high|priority",
        "priority|none|priority",
        "cpu|50|cpu",
        "cpu.percent|lots|cpu.percent",
        "bandwidth.wan.ceil|5mbit|bandwidth.wan.ceil",
        "bandwidth.wan.booking|30mbps|bandwidth.wan.booking",
        "bandwidth.wan|5mbit|bandwidth.wan",
        "bandwidth.-x.booking|5mbit|bandwidth.-x.booking",
        "policy|off|policy",
    })
    void malformedEditsNameTheirKeyAndLeaveThePolicy(String key, String value, String field) {
        PolicyEdits.Result r = PolicyEdits.apply(BASE, edits(key, value));
        assertEquals(1, r.errors().size(), r.errors().toString());
        assertEquals(field, r.errors().get(0).field());
        assertEquals(BASE, r.policy());
    }

    @Test
    void noEditsIsAnError() {
        assertEquals(List.of(new FieldError("", "give at least one key=value edit")), PolicyEdits.check(Map.of()));
    }

    @Property
    void aPriorityEditThenTheOldValueGivesTheSamePolicy(@ForAll @IntRange(min = 1, max = 10) int prio) {
        Policy p = apply(BASE, "priority", Integer.toString(prio));
        assertEquals(prio, p.priority());
        assertEquals(BASE, apply(p, "priority", "7"));
    }
}
