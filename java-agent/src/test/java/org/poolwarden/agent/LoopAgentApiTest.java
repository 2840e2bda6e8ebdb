package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.api.Alarm;
import org.poolwarden.api.AppView;
import org.poolwarden.api.History;
import org.poolwarden.api.ModeChange;
import org.poolwarden.api.PolicyResult;
import org.poolwarden.api.ReloadResult;
import org.poolwarden.api.Status;
import org.poolwarden.api.UnknownAppException;
import org.poolwarden.api.Usage;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.Policy;
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
import org.poolwarden.store.Sample;

/**
 * LoopAgentApi over a real {@link Agent} on fakes (/proc tree, enforcer, sampler). The "control thread" is a single
 * executor on which every tick runs, with a simulated clock that advances 50 ms per tick: no sleeping, and the API
 * calls come from the test thread as they would from the HTTP server's.
 */
class LoopAgentApiTest {
    static final long MS = 1_000_000L;
    static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @TempDir
    Path tmp;
    FakeProc proc;
    final Enforcing enforcer = new Enforcing();
    ExecutorService control;
    volatile Thread controlThread;
    long now; // control thread only
    long wall = NOW.toEpochMilli() - 60_000; // the loop's samples are a minute old when the API is asked
    Agent agent;
    LoopAgentApi api;
    ControlQueue queue;
    SampleTap tap;
    final AtomicReference<ConfigLoader.Result> source = new AtomicReference<>();
    HistoryStore store;

    static final class Enforcing implements Enforcer {
        final List<PolicyPlan> applied = Collections.synchronizedList(new ArrayList<>());
        final List<String> threads = Collections.synchronizedList(new ArrayList<>());
        volatile int releases;

        @Override
        public void apply(PolicyPlan plan, Inventory inventory) {
            applied.add(plan);
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public void release() {
            releases++;
            threads.add(Thread.currentThread().getName());
        }
    }

    static final String TWO_APPS = """
            pipes: [{name: uplink, interface: eth0, capacity: 100mbit}]
            apps:
              - {name: web, processRules: [{name: nginx}], policy: {priority: 8, cpu: {percent: 60}}}
              - {name: db, processRules: [{name: postgres}], policy: {priority: 2, cpu: {percent: 60}}}
              - {name: idle, processRules: [{name: no-such-proc}]}
            """;

    static ConfigLoader.Result parse(String yaml) {
        return ConfigLoader.parse("t.yaml", yaml);
    }

    @BeforeEach
    void setUp() throws Exception {
        proc = new FakeProc(Files.createDirectories(tmp.resolve("proc")));
        proc.add(1, 0, "init").add(10, 1, "nginx").add(11, 1, "postgres").add(12, 1, "postgres");
        control = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-control");
            controlThread = t;
            return t;
        });
        store = HistoryStore.open(tmp.resolve("h.db"));
        PoolwardenConfig c = parse(TWO_APPS).config();
        source.set(parse(TWO_APPS));
        queue = new ControlQueue(this::wake, 5_000);
        Sampler sampler = (inv, nanos) -> {
            List<Sample> out = new ArrayList<>();
            // 0.5 core per web process, 0.25 per db process; 8 Mbit/s out on the uplink for web
            for (int pid : inv.pids("web")) out.add(new Sample("web", "cpu.percent", 25.0));
            out.add(new Sample("db", "cpu.percent", 12.5 * inv.pids("db").size()));
            out.add(new Sample("web", "cpu.cores", 0.5));
            out.add(new Sample("web", "pipe.uplink.out.bits_per_s", 8e6));
            out.add(new Sample("web", "pipe.uplink.out.packets_per_s", 1000));
            out.add(new Sample("web", "net.in.bits_per_s", 1e6));
            // a capped app's throttling and its group's CPU pressure (cgroup v2)
            out.add(new Sample("web", "cpu.throttled_s", 0.25));
            out.add(new Sample("web", "cpu.throttled_periods", 30));
            out.add(new Sample("web", "cpu.pressure.some_avg10", 2.5));
            out.add(new Sample("web", "cpu.pressure.some_avg60", 1.25));
            out.add(new Sample("web", "cpu.pressure.some_avg300", 0.5));
            out.add(new Sample("web", "cpu.pressure.some_s", 9.0));
            return out;
        };
        tap = new SampleTap(sampler);
        api = new LoopAgentApi(queue, () -> tap, store, new LoopAgentApi.ConfigSource() {
            @Override
            public ConfigLoader.Result load() {
                return source.get();
            }

            @Override
            public String describe() {
                return "test-source";
            }
        }, "host-a", "test", Clock.fixed(NOW, ZoneOffset.UTC), () -> Map.of("extra_thing", 7L));
        ProcessDetector d = new ProcessDetector(new ProcReader(proc.root), new IdNames(tmp.resolve("p"),
                tmp.resolve("g")), "host-a", c.apps());
        agent = new Agent(c, d, new HostResources(2, Map.of()), enforcer, tap, store, () -> wall, List.of(api));
        api.bind(agent);
        tick(); // the first tick runs a slow tick: detection, plan, first sample
    }

    @AfterEach
    void tearDown() {
        control.shutdownNow();
        store.close();
    }

    /** One tick on the control thread, 50 ms after the previous one (the runner's wake-up). */
    void wake() {
        control.execute(() -> {
            agent.tick(now);
            now += 50 * MS;
            wall += 50;
        });
    }

    void tick() throws Exception {
        control.submit(() -> {
            agent.tick(now);
            now += 50 * MS;
            wall += 50;
        }).get();
    }

    /** Runs ticks until the next slow tick has run. */
    void slowTick() throws Exception {
        long target = agent.counters().slowTicks + 1;
        while (agent.counters().slowTicks < target) tick();
    }

    @Test
    void statusAndAppsShowTheLastScanAndSample() throws Exception {
        slowTick(); // the second sample: the tap now has an interval for its totals
        Status s = api.status();
        assertEquals("host-a", s.host());
        assertEquals(Mode.MONITOR, s.mode());
        assertEquals(3, s.apps());
        assertEquals(2, s.runningApps(), "idle has no process");
        assertEquals(4, s.processes());
        assertEquals(1, s.unassignedProcesses(), "init");
        assertEquals(2L, s.counters().get("slow_ticks"));
        assertEquals(7L, s.counters().get("extra_thing"));
        assertTrue(s.counters().get("fast_ticks") >= 2, s.counters().toString());

        List<AppView> apps = api.apps();
        assertEquals(List.of("web", "db", "idle"), apps.stream().map(AppView::name).toList(), "config order");
        AppView web = apps.get(0);
        assertTrue(web.managed());
        assertEquals(8, web.priority());
        assertEquals(List.of(10), web.instances().get(0).pids());
        Usage u = web.instances().get(0).usage();
        assertEquals(25.0, u.cpuPercent(), 1e-9);
        assertEquals(1_000_000L, u.cpuUsageMicros(), "0.5 core over the 2 s between the two samples");
        Usage.PipeUsage up = u.pipes().stream().filter(p -> p.pipe().equals("uplink")).findFirst().orElseThrow();
        assertEquals(8e6, up.bitsPerSecond());
        assertEquals(Usage.Direction.EGRESS, up.direction());
        assertEquals(2_000_000L, up.bytes(), "8 Mbit/s for 2 s");
        assertEquals(2_000L, up.packets(), "1000 packets/s for 2 s");
        assertEquals(new Usage.Throttling(0, 30, 250_000), u.throttling());
        assertEquals(new Usage.Pressure(new Usage.Pressure.Line(2.5, 1.25, 0.5, 9_000_000), null), u.pressure());
        assertNull(apps.get(1).instances().get(0).usage().pressure(), "db: no PSI sampled, none reported");
        Usage.PipeUsage in = u.pipes().stream().filter(p -> p.pipe().equals(LoopAgentApi.SOCKETS_PIPE))
                .findFirst().orElseThrow();
        assertEquals(Usage.Direction.INGRESS, in.direction());
        assertEquals(List.of(11, 12), apps.get(1).instances().get(0).pids());
        assertEquals(25.0, apps.get(1).instances().get(0).usage().cpuPercent(), 1e-9);
        assertEquals(List.of(), apps.get(2).instances());
        assertFalse(apps.get(2).managed());
        assertNull(apps.get(2).priority());
        assertEquals(web, api.app("web"));
    }

    @Test
    void anAlarmKeepsTheTimeItWasFirstRaised() throws Exception {
        // web and db book 60% each on this host: 120%, scaled down by priority
        List<Alarm> first = api.status().alarms();
        assertEquals(1, first.size());
        assertEquals(Alarm.INSUFFICIENT_RESOURCES, first.get(0).kind());
        slowTick();
        assertEquals(first, api.status().alarms(), "same alarm, same since, while it lasts");
        proc.remove(11).remove(12);
        slowTick();
        assertEquals(List.of(), api.status().alarms(), "db exited: it clears");
    }

    @Test
    void modeSwitchesRunOnTheControlThreadAndAreInEffectWhenTheCallReturns() throws Exception {
        ModeChange c = api.setMode(Mode.ENFORCE);
        assertEquals(new ModeChange(Mode.MONITOR, Mode.ENFORCE), c);
        assertEquals(Mode.ENFORCE, api.status().mode());
        assertEquals(Mode.ENFORCE, agent.mode());
        tick();
        assertFalse(enforcer.applied.isEmpty(), "entering enforce applies at once, not at the next 2 s tick");
        assertFalse(api.setMode(Mode.ENFORCE).changed(), "idempotent");

        assertEquals(new ModeChange(Mode.ENFORCE, Mode.MONITOR), api.setMode(Mode.MONITOR));
        assertEquals(1, enforcer.releases);
        assertEquals(Mode.MONITOR, api.status().mode());
        assertTrue(enforcer.threads.stream().allMatch("test-control"::equals), enforcer.threads.toString());
        assertEquals(2L, api.status().counters().get("mode_changes"));
    }

    @Test
    void anInvalidPolicyChangesNothingAndAValidOneLastsUntilTheNextReload() throws Exception {
        PoolwardenConfig before = agent.config();
        Policy bad = new Policy(5, null, List.of(new Policy.BandwidthPolicy("nope", null, null)));
        PolicyResult r = api.setPolicy("web", bad);
        assertFalse(r.applied());
        assertFalse(r.errors().isEmpty());
        assertEquals(before.app("web").policy(), r.policy(), "the old policy is reported");
        tick();
        assertSame(before, agent.config(), "nothing changed");

        api.setMode(Mode.ENFORCE);
        Policy good = new Policy(9, new Policy.CpuPolicy(400, null, null), List.of());
        PolicyResult ok = api.setPolicy("web", good);
        assertTrue(ok.applied(), ok.errors().toString());
        assertEquals(good, api.policy("web"));
        assertEquals(good, agent.config().app("web").policy(), "in the agent when the call returns");
        assertEquals(Mode.ENFORCE, agent.mode(), "a policy edit keeps the mode switched through the API");
        assertEquals(before.app("db"), agent.config().app("db"), "other apps untouched");

        ReloadResult rr = api.reload();
        assertTrue(rr.applied());
        assertEquals(before.app("web").policy(), api.policy("web"), "a reload takes the files' policy again");
        assertEquals(Mode.MONITOR, api.mode(), "and the files' mode");
    }

    @Test
    void editsAreAppliedAtomicallyOrNotAtAll() throws Exception {
        PolicyResult bad = api.editPolicy("web", Map.of("priority", "99"));
        assertFalse(bad.applied());
        assertEquals(8, api.policy("web").priority());
        PolicyResult ok = api.editPolicy("web", Map.of("priority", "9"));
        assertTrue(ok.applied(), ok.errors().toString());
        assertEquals(9, api.policy("web").priority());
        assertEquals(9, api.app("web").priority());
        assertEquals(60.0, api.policy("web").cpu().percent(), "the rest of the policy is kept");
    }

    @Test
    void anInvalidReloadKeepsTheRunningConfigAndReportsEveryError() throws Exception {
        PoolwardenConfig before = agent.config();
        source.set(parse("mode: enforce\napps:\n  - {name: x}\n  - {name: y, bogus: 1, processRules: [{pid: 1}]}\n"));
        ReloadResult r = api.reload();
        assertFalse(r.applied());
        assertEquals("test-source", r.source());
        assertEquals(3, r.apps(), "the running config's apps");
        assertEquals(2, r.errors().size(), r.errors().toString());
        assertTrue(r.errors().get(0).toString().startsWith("t.yaml:3:"), r.errors().toString());
        tick();
        assertSame(before, agent.config());
        assertEquals(Mode.MONITOR, agent.mode());
        assertEquals(1L, api.status().counters().get("reloads_rejected"));

        source.set(parse("mode: enforce\napps: [{name: databases, processRules: [{name: postgres}]}]\n"));
        ReloadResult ok = api.reload();
        assertTrue(ok.applied());
        assertEquals(1, ok.apps());
        assertEquals(List.of("databases"), api.apps().stream().map(AppView::name).toList());
        assertEquals(Mode.ENFORCE, api.status().mode(), "the new config's mode");
        slowTick();
        assertEquals(List.of(11, 12), api.app("databases").instances().get(0).pids());
    }

    @Test
    void unknownAppsAreReportedByName() {
        assertThrows(UnknownAppException.class, () -> api.app("nope"));
        assertThrows(UnknownAppException.class, () -> api.policy("nope"));
        assertThrows(UnknownAppException.class, () -> api.setPolicy("nope", null));
        assertThrows(UnknownAppException.class, () -> api.editPolicy("nope", Map.of("priority", "3")));
        assertThrows(UnknownAppException.class, () -> api.history("nope", NOW.minusSeconds(60)));
    }

    @Test
    void historyComesFromTheStoreOldestFirst() throws Exception {
        slowTick();
        slowTick();
        // the store holds three slow ticks
        History h = api.history("web", NOW.minusSeconds(600));
        assertEquals(2, h.resolutionSeconds(), "raw samples are one slow tick apart");
        assertEquals(3, h.samples().size(), h.toString());
        for (int i = 1; i < h.samples().size(); i++) {
            assertTrue(h.samples().get(i - 1).at().isBefore(h.samples().get(i).at()));
        }
        assertEquals(25.0, h.samples().get(0).cpuPercent(), 1e-9);
        History.PipeRate up = h.samples().get(0).pipes().stream().filter(p -> p.pipe().equals("uplink"))
                .findFirst().orElseThrow();
        assertEquals(8e6, up.bitsPerSecond(), 1e-3);
        assertEquals(1000, up.packetsPerSecond(), 1e-9);
        assertNotNull(h.samples().get(0).pipes().stream().filter(p -> p.pipe().equals("tcp")
                && p.direction() == Usage.Direction.INGRESS).findFirst().orElse(null));
    }
}
