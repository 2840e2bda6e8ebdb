package org.poolwarden.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.config.PoolwardenConfig.Mode;

/**
 * What every {@link AgentApi} must do, whatever is behind it: the fake, the fake behind the HTTP API, and the real
 * control loop (the lead's implementation extends this with its own {@link #create}). Each test starts from
 * {@link ApiFixture#CONFIG}.
 */
abstract class AgentApiContract {
    /** An agent running {@code config}; called once per test. */
    abstract AgentApi create(PoolwardenConfig config);

    /** Makes the next {@link AgentApi#reload()} read this YAML text. */
    abstract void nextConfig(String yaml);

    AgentApi api() {
        if (api == null) api = create(FakeAgentApi.config(ApiFixture.CONFIG));
        return api;
    }

    private AgentApi api;

    @Test
    void appsAreTheConfigsInOrder() {
        assertEquals(List.of("web", "batch"), api().apps().stream().map(AppView::name).toList());
        assertTrue(api().app("web").managed());
        assertEquals(7, api().app("web").priority());
        assertFalse(api().app("batch").managed());
        assertNull(api().app("batch").priority());
        assertEquals(2, api().status().apps());
    }

    @Test
    void unknownAppsAreUnknownEverywhere() {
        assertThrows(UnknownAppException.class, () -> api().app("nope"));
        assertThrows(UnknownAppException.class, () -> api().policy("nope"));
        assertThrows(UnknownAppException.class, () -> api().setPolicy("nope", null));
        assertThrows(UnknownAppException.class, () -> api().editPolicy("nope", Map.of("priority", "3")));
        assertThrows(UnknownAppException.class, () -> api().history("nope", Instant.EPOCH));
    }

    @Test
    void aValidPolicyIsAppliedAndReadBack() {
        Policy p = new Policy(3, new Policy.CpuPolicy(null, 20.0, 40.0), List.of(new Policy.BandwidthPolicy("wan",
                new Policy.Amount.Percent(10), new Policy.Amount.BitsPerSecond(50_000_000))));
        PolicyResult r = api().setPolicy("batch", p);
        assertTrue(r.applied(), r.toString());
        assertEquals(List.of(), r.errors());
        assertEquals(p, r.policy());
        assertEquals(p, api().policy("batch"));
        assertTrue(api().app("batch").managed());
        assertEquals(3, api().app("batch").priority());
    }

    @Test
    void anInvalidPolicyIsRefusedWithEveryErrorAndChangesNothing() {
        Policy before = api().policy("web");
        Policy bad = new Policy(0, new Policy.CpuPolicy(0, null, null), List.of(new Policy.BandwidthPolicy("lan",
                new Policy.Amount.BitsPerSecond(1), null)));
        PolicyResult r = api().setPolicy("web", bad);
        assertFalse(r.applied());
        assertEquals(List.of("priority", "cpu.weight", "bandwidth[0].pipe"),
                r.errors().stream().map(AgentApi.FieldError::field).toList());
        assertEquals(before, api().policy("web"));
    }

    @Test
    void removingThePolicyLeavesTheAppMonitored() {
        assertTrue(api().setPolicy("web", null).applied());
        assertNull(api().policy("web"));
        assertFalse(api().app("web").managed());
    }

    @Test
    void editsApplyAllOrNothing() {
        Map<String, String> edits = new LinkedHashMap<>();
        edits.put("priority", "2");
        edits.put("cpu.weight", "0");
        PolicyResult r = api().editPolicy("web", edits);
        assertFalse(r.applied());
        assertEquals("cpu.weight", r.errors().get(0).field());
        assertEquals(7, api().policy("web").priority(), "the valid edit was not applied either");
        edits.put("cpu.weight", "900");
        assertTrue(api().editPolicy("web", edits).applied());
        assertEquals(2, api().policy("web").priority());
        assertEquals(900, api().policy("web").cpu().weight());
    }

    @Test
    void modeSwitchesAreIdempotentAndSayThePreviousMode() {
        assertEquals(Mode.MONITOR, api().status().mode(), "monitor is the default");
        assertEquals(new ModeChange(Mode.MONITOR, Mode.ENFORCE), api().setMode(Mode.ENFORCE));
        assertEquals(new ModeChange(Mode.ENFORCE, Mode.ENFORCE), api().setMode(Mode.ENFORCE));
        assertEquals(Mode.ENFORCE, api().status().mode());
        assertEquals(new ModeChange(Mode.ENFORCE, Mode.MONITOR), api().setMode(Mode.MONITOR));
    }

    @Test
    void anInvalidReloadKeepsTheRunningConfig() {
        api();
        nextConfig(ApiFixture.CONFIG.replace("weight: 300", "weight: 0"));
        ReloadResult r = api().reload();
        assertFalse(r.applied());
        assertEquals(1, r.errors().size(), r.errors().toString());
        assertEquals("apps[0].policy.cpu.weight", r.errors().get(0).field());
        assertTrue(r.errors().get(0).location().line() > 0);
        assertEquals(300, api().policy("web").cpu().weight());
        assertEquals(2, r.apps());

        nextConfig(ApiFixture.CONFIG.replace("weight: 300", "weight: 400"));
        r = api().reload();
        assertTrue(r.applied(), r.toString());
        assertEquals(400, api().policy("web").cpu().weight());
    }

    @Test
    void historyIsOldestFirstAndNeverBeforeSince() {
        Instant since = Instant.EPOCH;
        History h = api().history("web", since);
        assertEquals("web", h.app());
        for (int i = 1; i < h.samples().size(); i++) {
            assertFalse(h.samples().get(i).at().isBefore(h.samples().get(i - 1).at()));
        }
        h.samples().forEach(s -> assertFalse(s.at().isBefore(since)));
    }
}
