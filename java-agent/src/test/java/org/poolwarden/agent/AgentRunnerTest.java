package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.FakeProc;
import org.poolwarden.detect.IdNames;
import org.poolwarden.detect.ProcReader;
import org.poolwarden.detect.ProcessDetector;
import org.poolwarden.policy.HostResources;
import org.poolwarden.policy.PolicyPlan;

/** The runner on a simulated clock: it waits exactly until each deadline the agent returns, and stops on request. */
class AgentRunnerTest {
    @TempDir
    Path tmp;

    @Test
    void parksUntilEachDeadlineAndStops() throws Exception {
        FakeProc proc = new FakeProc(Files.createDirectories(tmp.resolve("proc"))).add(1, 0, "init");
        PoolwardenConfig c = ConfigLoader.parse("t.yaml", "apps: [{name: a, processRules: [{name: init}]}]\n").config();
        ProcessDetector d = new ProcessDetector(new ProcReader(proc.root), new IdNames(tmp.resolve("p"),
                tmp.resolve("g")), "h", c.apps());
        Enforcer none = new Enforcer() {
            @Override
            public void apply(PolicyPlan plan, org.poolwarden.detect.Inventory inventory) {}

            @Override
            public void release() {}
        };
        long[] now = {0};
        List<Long> parkedUntil = new ArrayList<>();
        AgentRunner[] runner = new AgentRunner[1];
        Agent agent = new Agent(c, d, new HostResources(1, Map.of()), none, (inv, t) -> List.of(), null, () -> 0L,
                List.of());
        runner[0] = new AgentRunner(agent, () -> now[0], new AgentRunner.Parker() {
            @Override
            public void parkUntil(long deadline, long nowNanos) {
                parkedUntil.add(deadline);
                now[0] = deadline; // simulated time: the wait ends exactly at the deadline
                if (now[0] >= 4_000_000_000L) runner[0].stop();
            }

            @Override
            public void wake(Thread t) {}
        });
        runner[0].run(); // on this thread: returns once stopped
        assertEquals(80, parkedUntil.size(), "one wait per 50 ms over 4 s");
        assertEquals(50_000_000L, parkedUntil.get(0));
        for (int i = 1; i < parkedUntil.size(); i++) {
            assertEquals(50_000_000L, parkedUntil.get(i) - parkedUntil.get(i - 1));
        }
        assertEquals(80, agent.counters().fastTicks, "0 ms to 3950 ms; stopped at the 4 s deadline");
        assertEquals(2, agent.counters().slowTicks, "at 0 and 2 s; the 4 s tick did not run because it stopped");
        assertTrue(runner[0].failure() == null);
    }
}
