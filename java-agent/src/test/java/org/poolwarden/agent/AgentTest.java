package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.detect.FakeProc;
import org.poolwarden.detect.IdNames;
import org.poolwarden.detect.Inventory;
import org.poolwarden.detect.ProcReader;
import org.poolwarden.detect.ProcessDetector;
import org.poolwarden.policy.HostResources;
import org.poolwarden.policy.PolicyPlan;
import org.poolwarden.store.HistoryStore;
import org.poolwarden.store.Resolution;
import org.poolwarden.store.Sample;

class AgentTest {
    static final long MS = 1_000_000L;

    @TempDir
    Path tmp;
    FakeProc proc;
    RecordingEnforcer enforcer = new RecordingEnforcer();
    List<String> ticks = new ArrayList<>();
    long wall = 1_700_000_000_000L;

    static final class RecordingEnforcer implements Enforcer {
        final List<PolicyPlan> applied = new ArrayList<>();
        final List<Inventory> inventories = new ArrayList<>();
        /** Every call in order: "apply", "policies" (the reload shortcut). */
        final List<String> calls = new ArrayList<>();
        final List<PolicyPlan> policyChanges = new ArrayList<>();
        int releases;

        @Override
        public void apply(PolicyPlan plan, Inventory inventory) {
            applied.add(plan);
            inventories.add(inventory);
            calls.add("apply");
        }

        /** What the shortcut answers: true, everything written. */
        boolean complete;

        @Override
        public boolean applyPolicyChanges(PolicyPlan plan, Inventory inventory) {
            policyChanges.add(plan);
            calls.add("policies");
            return complete;
        }

        @Override
        public void release() {
            releases++;
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        proc = new FakeProc(Files.createDirectories(tmp.resolve("proc")));
        proc.add(1, 0, "init").add(10, 1, "nginx").add(11, 1, "postgres");
    }

    static PoolwardenConfig config(String yaml) {
        ConfigLoader.Result r = ConfigLoader.parse("t.yaml", yaml);
        assertEquals(List.of(), r.errors());
        return r.config();
    }

    static final String TWO_APPS = """
            apps:
              - {name: web, processRules: [{name: nginx}], policy: {priority: 8, cpu: {percent: 60}}}
              - {name: db, processRules: [{name: postgres}], policy: {priority: 2, cpu: {percent: 60}}}
            """;

    Agent agent(PoolwardenConfig c, Sampler sampler, HistoryStore store) {
        ProcessDetector d = new ProcessDetector(new ProcReader(proc.root), new IdNames(tmp.resolve("p"),
                tmp.resolve("g")), "h", c.apps());
        TickListener l = new TickListener() {
            @Override
            public void onFastTick(long now) {
                ticks.add("fast@" + now / MS);
            }

            @Override
            public void onSlowTick(long now) {
                ticks.add("slow@" + now / MS);
            }
        };
        return new Agent(c, d, new HostResources(2, Map.of()), enforcer, sampler, store, () -> wall, List.of(l));
    }

    @Test
    void fastAndSlowTimersFireOnTheirDeadlinesWithoutAClock() {
        Agent a = agent(config(TWO_APPS), (inv, now) -> List.of(), null);
        long now = 1_000 * MS; // any origin: the loop only uses differences
        long end = now + 10_000 * MS;
        while (now <= end) now = a.tick(now);
        assertEquals(201, a.counters().fastTicks, "every 50 ms over 10 s, both ends included");
        assertEquals(6, a.counters().slowTicks, "every 2 s over 10 s, both ends included");
        assertEquals(0, a.counters().fastOverruns + a.counters().slowOverruns);
        assertEquals(List.of("fast@1000", "slow@1000", "fast@1050"), ticks.subList(0, 3));
        assertTrue(ticks.contains("slow@3000") && ticks.contains("slow@11000"), ticks.toString());
    }

    @Test
    void aLateTickSkipsMissedTicksInsteadOfBursting() {
        Agent a = agent(config(TWO_APPS), (inv, now) -> List.of(), null);
        assertEquals(50 * MS, a.tick(0));
        long next = a.tick(5_000 * MS); // the loop was stalled (GC, suspend) for 5 s
        assertEquals(2, a.counters().fastTicks);
        assertEquals(2, a.counters().slowTicks);
        assertEquals(1, a.counters().fastOverruns);
        assertEquals(1, a.counters().slowOverruns);
        assertEquals(5_050 * MS, next, "back on a 50 ms rhythm from now");
    }

    @Test
    void monitorModeMeasuresAndStoresButNeverEnforces() throws Exception {
        try (HistoryStore store = HistoryStore.open(tmp.resolve("h.db"))) {
            Agent a = agent(config(TWO_APPS), (inv, now) -> List.of(new Sample("web", "cpu.percent", 12.5)), store);
            assertEquals(Mode.MONITOR, a.mode(), "monitor is the default");
            long now = 0;
            for (int i = 0; i < 3; i++) {
                a.tick(now);
                now += 2_000 * MS;
                wall += 2_000;
            }
            assertEquals(List.of(), enforcer.applied);
            assertEquals(0, enforcer.releases);
            assertEquals(List.of(10), a.inventory().pids("web"));
            assertEquals(3 * 4, store.rows(Resolution.RAW), "cpu sample, two app process counts, host count");
            assertEquals(1, a.alarms().size(), "120% of CPU booked: alarm, but monitor mode carries on");
            assertEquals(6000, a.plan().cpu().get("web").guaranteedBasisPoints());
            assertEquals(4000, a.plan().cpu().get("db").guaranteedBasisPoints());
            assertEquals(1, a.counters().alarmsRaised, "raised once while it lasts, not every tick");
        }
    }

    @Test
    void thePlanFollowsWhichAppsRunHere() {
        proc.remove(11); // postgres is not running yet
        Agent a = agent(config(TWO_APPS), (inv, now) -> List.of(), null);
        a.tick(0);
        assertEquals(List.of(), a.alarms(), "only web runs: its 60% fits");
        assertEquals(6000, a.plan().cpu().get("web").guaranteedBasisPoints());
        proc.add(11, 1, "postgres");
        a.tick(2_000 * MS);
        assertEquals(1, a.alarms().size(), "db started: 120% booked, scaled by priority");
        assertEquals(4000, a.plan().cpu().get("db").guaranteedBasisPoints());
        proc.remove(11);
        a.tick(4_000 * MS);
        assertEquals(List.of(), a.alarms(), "db exited: the alarm clears");
    }

    @Test
    void enforceIsOneSwitchAndSwitchingBackReleasesEverything() {
        Agent a = agent(config(TWO_APPS), (inv, now) -> List.of(), null);
        a.tick(0);
        assertEquals(0, enforcer.applied.size());
        a.requestMode(Mode.ENFORCE);
        long next = a.tick(10 * MS);
        assertEquals(1, enforcer.applied.size(), "applied at once, not at the next 2 s tick");
        assertEquals(List.of(11), enforcer.inventories.get(0).pids("db"));
        assertEquals(50 * MS, next);
        a.tick(2_010 * MS);
        assertEquals(2, enforcer.applied.size(), "re-applied every slow tick (idempotent ensure)");
        a.requestMode(Mode.MONITOR);
        a.tick(2_020 * MS);
        assertEquals(1, enforcer.releases);
        a.tick(4_010 * MS);
        a.requestMode(Mode.MONITOR);
        a.tick(4_020 * MS);
        assertEquals(2, enforcer.applied.size(), "nothing applied in monitor mode");
        assertEquals(1, enforcer.releases, "released once");
    }

    @Test
    void anInvalidReloadIsRejectedWholeAndAValidOneReplacesTheConfigAtTheNextTick() {
        Agent a = agent(config(TWO_APPS), (inv, now) -> List.of(), null);
        a.tick(0);
        PoolwardenConfig before = a.config();
        List<?> errors = a.reload(ConfigLoader.parse("new.yaml", "mode: enforce\napps: [{name: x, pid: 1}]\n"));
        assertFalse(errors.isEmpty());
        a.tick(2_000 * MS);
        assertEquals(before, a.config());
        assertEquals(Mode.MONITOR, a.mode());
        assertEquals(1, a.counters().reloadsRejected);
        assertEquals(List.of(), enforcer.applied);

        assertEquals(List.of(), a.reload(ConfigLoader.parse("new.yaml", """
                mode: enforce
                apps: [{name: databases, processRules: [{name: postgres}]}]
                """)));
        a.tick(2_010 * MS);
        assertEquals(Mode.ENFORCE, a.mode());
        assertEquals(List.of(11), a.inventory().pids("databases"));
        assertEquals(List.of(), a.alarms(), "the new config books nothing");
        assertEquals(1, enforcer.applied.size());
        assertEquals(1, a.counters().reloadsAccepted);
    }

    @Test
    void aFailingSlowTickIsCountedAndTheLoopGoesOn() {
        AtomicInteger calls = new AtomicInteger();
        Agent a = agent(config(TWO_APPS), (inv, now) -> {
            if (calls.incrementAndGet() == 1) throw new IllegalStateException("counter read failed");
            return List.of();
        }, null);
        a.tick(0);
        a.tick(2_000 * MS);
        assertEquals(1, a.counters().slowTickErrors);
        assertNotNull(a.counters().lastSlowTickError);
        assertEquals(2, a.counters().slowTicks);
        assertTrue(ticks.contains("slow@2000"), "listeners still run");
    }

    @Test
    void aReloadThatChangesOnlyPoliciesIsWrittenBeforeTheSlowTicksScanAndFullApply() {
        Agent a = agent(config("mode: enforce\n" + TWO_APPS), (inv, now) -> List.of(), null);
        a.tick(0);
        assertEquals(List.of("apply"), enforcer.calls);

        // Same apps and process rules, another policy, and the enforcer could not write all of it: the shortcut
        // with the new plan, then the full apply at once.
        String web30 = TWO_APPS.replace("priority: 8, cpu: {percent: 60}", "priority: 8, cpu: {percent: 30}");
        assertEquals(List.of(), a.reload(ConfigLoader.parse("new.yaml", "mode: enforce\n" + web30)));
        a.tick(100 * MS);
        assertEquals(List.of("apply", "policies", "apply"), enforcer.calls);
        assertEquals(3000, enforcer.policyChanges.get(0).cpu().get("web").guaranteedBasisPoints());
        assertEquals(enforcer.policyChanges.get(0), enforcer.applied.get(1), "the same plan, in full");
        assertEquals(0, a.counters().policyFastApplies);

        // It could: the new plan is the agent's at once, and the slow tick keeps its rhythm (next at 2,100 ms).
        enforcer.complete = true;
        String web20 = TWO_APPS.replace("priority: 8, cpu: {percent: 60}", "priority: 8, cpu: {percent: 20}");
        assertEquals(List.of(), a.reload(ConfigLoader.parse("new.yaml", "mode: enforce\n" + web20)));
        long slow = a.counters().slowTicks;
        a.tick(200 * MS);
        assertEquals(List.of("apply", "policies", "apply", "policies"), enforcer.calls);
        assertEquals(slow, a.counters().slowTicks, "no scan or full apply now");
        assertEquals(2000, a.plan().cpu().get("web").guaranteedBasisPoints());
        assertEquals(1, a.counters().policyFastApplies);
        a.tick(2_100 * MS);
        assertEquals("apply", enforcer.calls.get(enforcer.calls.size() - 1), "the full apply at the regular tick");

        // Other process rules: classifications change at the next scan, so only the full apply, at once.
        int calls = enforcer.calls.size();
        assertEquals(List.of(), a.reload(ConfigLoader.parse("new.yaml", "mode: enforce\n"
                + TWO_APPS.replace("{name: postgres}", "{name: mysqld}"))));
        a.tick(2_200 * MS);
        assertEquals(List.of("apply"), enforcer.calls.subList(calls, enforcer.calls.size()));

        // A reload that also switches to monitor releases and writes nothing.
        assertEquals(List.of(), a.reload(ConfigLoader.parse("new.yaml", TWO_APPS)));
        a.tick(2_300 * MS);
        assertEquals(1, enforcer.releases);
        assertEquals(calls + 1, enforcer.calls.size());
        assertEquals(1, a.counters().policyFastApplies);
    }
}
