package org.poolwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.agent.Agent;
import org.poolwarden.agent.Enforcer;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.detect.FakeProc;
import org.poolwarden.detect.IdNames;
import org.poolwarden.detect.Inventory;
import org.poolwarden.detect.ProcReader;
import org.poolwarden.detect.ProcessDetector;
import org.poolwarden.log.Log;
import org.poolwarden.policy.HostResources;
import org.poolwarden.policy.PolicyPlan;

/** A failing slow tick reaches the log once per distinct error, not once per tick. */
class TickErrorLogTest {
    @TempDir
    Path tmp;

    @Test
    void eachDistinctSlowTickErrorIsLoggedOnce() throws Exception {
        FakeProc proc = new FakeProc(Files.createDirectories(tmp.resolve("proc"))).add(1, 0, "init");
        PoolwardenConfig c = ConfigLoader.parse("t.yaml", "mode: enforce\napps: [{name: a, processRules: [{name: "
                + "init}], policy: {cpu: {weight: 200}}}]\n").config();
        ProcessDetector d = new ProcessDetector(new ProcReader(proc.root), new IdNames(tmp.resolve("p"),
                tmp.resolve("g")), "h", c.apps());
        String[] failure = {"EPERM moving 1"};
        Enforcer failing = new Enforcer() {
            @Override
            public void apply(PolicyPlan plan, Inventory inventory) {
                throw new IllegalStateException(failure[0]);
            }

            @Override
            public void release() {
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Log log = new Log(new PrintStream(out, true, StandardCharsets.UTF_8), Log.Format.LOGFMT, Log.Level.INFO, false,
                Clock.systemUTC());
        AtomicReference<Agent> ref = new AtomicReference<>();
        AgentCommand.TickErrorLog errors = new AgentCommand.TickErrorLog(ref::get, log);
        Agent agent = new Agent(c, d, new HostResources(1, Map.of()), failing, (inv, t) -> List.of(), null, () -> 0L,
                List.of(errors));
        ref.set(agent);
        long slow = c.timers().slowTickMillis() * 1_000_000L;
        for (int i = 0; i < 3; i++) agent.tick(i * slow);
        failure[0] = "EPERM moving 2";
        for (int i = 3; i < 5; i++) agent.tick(i * slow);

        assertEquals(5, agent.counters().slowTickErrors);
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains("msg=\"slow tick failed\"") && lines.get(0).contains("EPERM moving 1")
                && lines.get(0).contains("slow_tick_errors=1"), lines.get(0));
        assertTrue(lines.get(1).contains("EPERM moving 2") && lines.get(1).contains("slow_tick_errors=4"), lines.get(1));
    }
}
