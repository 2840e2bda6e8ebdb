package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.FakeProc;
import org.poolwarden.detect.IdNames;
import org.poolwarden.detect.Inventory;
import org.poolwarden.detect.ProcReader;
import org.poolwarden.detect.ProcessDetector;
import org.poolwarden.policy.HostResources;
import org.poolwarden.policy.PolicyPlan;
import org.poolwarden.store.HistoryStore;
import org.poolwarden.store.Sample;

/**
 * The control loop's own cost with 500 apps and 5,000 processes: detection, policy plan, one sample per app per
 * slow tick into the SQLite store, over 120 simulated seconds of steady state. Kernel adapters are not in yet (the
 * enforcer is a no-op, the sampler makes numbers up), so this is the loop without kernel I/O. Results:
 * target/bench/agent-overhead.json.
 */
@Tag("bench")
class AgentOverheadBench {
    static final int APPS = 500, PROCESSES = 5_000;
    static final long SECOND = 1_000_000_000L, SIMULATED_SECONDS = 120;

    @TempDir
    Path tmp;

    @Test
    void loopCostPerSecond() throws Exception {
        FakeProc proc = new FakeProc(Files.createDirectories(tmp.resolve("proc")));
        proc.add(1, 0, "init");
        for (int i = 0; i < PROCESSES; i++) proc.add(100 + i, 1, "svc" + (i % APPS));
        StringBuilder y = new StringBuilder("mode: enforce\napps:\n");
        for (int a = 0; a < APPS; a++) {
            y.append("  - {name: app").append(a).append(", processRules: [{name: svc").append(a)
                    .append("}], policy: {priority: ").append(1 + a % 10).append(", cpu: {")
                    .append(a % 2 == 0 ? "weight: " + (10 + a) : "percent: 0.3, cap: 50").append("}}}\n");
        }
        ConfigLoader.Result r = ConfigLoader.parse("bench.yaml", y.toString());
        assertEquals(List.of(), r.errors());
        PoolwardenConfig c = r.config();
        int[] applied = {0};
        Enforcer enforcer = new Enforcer() {
            @Override
            public void apply(PolicyPlan plan, Inventory inventory) {
                applied[0]++;
            }

            @Override
            public void release() {}
        };
        Sampler sampler = (inv, now) -> {
            List<Sample> s = new ArrayList<>(inv.apps().size());
            for (Inventory.Instance i : inv.apps().values()) s.add(new Sample(i.app(), "cpu.percent", i.pids().size()));
            return s;
        };
        long[] wall = {1_700_000_000_000L};
        try (HistoryStore store = HistoryStore.open(tmp.resolve("history.db"))) {
            ProcessDetector d = new ProcessDetector(new ProcReader(proc.root), IdNames.system(), "bench", c.apps());
            Agent agent = new Agent(c, d, new HostResources(2, Map.of()), enforcer, sampler, store, () -> wall[0],
                    List.of());
            // Warm-up: first classification of every process and the JIT, excluded from the steady state.
            long now = 0;
            while (now < 20 * SECOND) {
                now = agent.tick(now);
                wall[0] = 1_700_000_000_000L + now / 1_000_000;
            }
            ThreadMXBean tm = ManagementFactory.getThreadMXBean();
            long cpu0 = tm.getCurrentThreadCpuTime(), slow0 = agent.counters().slowTicks;
            long end = now + SIMULATED_SECONDS * SECOND;
            while (now < end) {
                now = agent.tick(now);
                wall[0] = 1_700_000_000_000L + now / 1_000_000;
            }
            double cpuMsPerSecond = (tm.getCurrentThreadCpuTime() - cpu0) / 1e6 / SIMULATED_SECONDS;
            long slowTicks = agent.counters().slowTicks - slow0;
            assertEquals(0, agent.counters().slowTickErrors, agent.counters().lastSlowTickError);
            assertTrue(applied[0] > 0);
            assertEquals(PROCESSES, agent.inventory().total() - 1);
            System.gc();
            long heap = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
            String json = String.format(Locale.ROOT, """
                    {
                      "benchmark": "agent-overhead",
                      "apps": %d,
                      "processes": %d,
                      "simulated_seconds": %d,
                      "slow_ticks": %d,
                      "samples_per_slow_tick": %d,
                      "cpu_ms_per_second": %.3f,
                      "percent_of_core": %.3f,
                      "heap_used_after_gc_mb": %.1f,
                      "note": "loop only: detection on a fake /proc tree, plan, SQLite writes; no kernel adapters yet"
                    }
                    """, APPS, PROCESSES, SIMULATED_SECONDS, slowTicks, APPS + APPS + 1, cpuMsPerSecond,
                    cpuMsPerSecond / 10, heap / 1048576.0);
            Path out = Path.of("target", "bench");
            Files.createDirectories(out);
            Files.writeString(out.resolve("agent-overhead.json"), json);
            System.out.println(json);
        }
    }
}
