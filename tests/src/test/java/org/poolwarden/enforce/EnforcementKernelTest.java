package org.poolwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.poolwarden.agent.AgentRunner;
import org.poolwarden.agent.Sampler;
import org.poolwarden.cli.CleanupCommand;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.PoolwardenConfig;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.store.Sample;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Iperf;
import picocli.CommandLine;

/**
 * The agent on the real kernel, end to end: two apps defined by process rules and flow rules in a YAML config,
 * measured in monitor mode without a single kernel object, enforced (CPU 3:1 on one CPU, bandwidth 30/10 Mbit on a
 * 40 Mbit pipe), released, killed with SIGKILL at arbitrary moments and restarted, and cleaned up.
 *
 * <p>The first test drives {@code Agent}/{@code AgentRunner} in this JVM with the real clock (this branch has no
 * {@code agent} command); the second runs the same wiring as processes of their own ({@link EnforcingAgentMain}).
 */
@KernelTest(needs = {"iperf3", "ip", "nsenter", "tc", "nft", "sh"}, libraries = "libnftables.so.1")
class EnforcementKernelTest {
    static final double TOLERANCE = 0.05;
    static final double MBIT = 1e6;

    /** One slow-tick sample as the agent reported it, and the truth read at the same moment. */
    record Tick(long nanos, Map<String, Double> reported, Map<String, Long> cpuTruth, Map<String, Long> bytesTruth) {
        double value(String key) {
            Double v = reported.get(key);
            if (v == null) throw new AssertionError("no " + key + " in " + reported);
            return v;
        }
    }

    static void assertNear(double expected, double actual, double tolerance, String what) {
        double err = Math.abs(actual - expected) / expected;
        assertTrue(err <= tolerance, String.format("%s: %.4g, expected %.4g ± %.0f%% (off by %.1f%%)", what, actual,
                expected, tolerance * 100, err * 100));
    }

    @Test
    void monitorMeasuresWithoutObjectsEnforceSplitsCpuAndBandwidthAndMonitorAgainRemovesAll() throws Exception {
        try (Rig rig = new Rig(); SockDiag serverSide = SockDiag.open(rig.b.netns())) {
            Iperf.server(rig.b, 5201);
            Iperf.server(rig.b, 5202);
            rig.startLoops();
            Path file = Files.createTempFile("pwe2e", ".yaml");
            Files.writeString(file, rig.config("monitor"));
            ConfigLoader.Result cfg = ConfigLoader.loadFile(file);
            Files.delete(file);
            assertTrue(cfg.valid(), cfg.errors().toString());
            PoolwardenConfig config = cfg.config();

            List<Tick> ticks = new CopyOnWriteArrayList<>();
            java.util.function.UnaryOperator<Sampler> recording = inner -> (inv, now) -> {
                Map<String, Long> cpu = Map.of("heavy", Rig.schedNanos(rig.heavy), "light", Rig.schedNanos(rig.light));
                Map<String, Long> bytes = new HashMap<>(Map.of("heavy", 0L, "light", 0L));
                for (SockDiag.Entry e : serverSide.tcp()) {
                    if (e.socket().localPort() == 5201) bytes.merge("heavy", e.bytesReceived(), Long::sum);
                    if (e.socket().localPort() == 5202) bytes.merge("light", e.bytesReceived(), Long::sum);
                }
                List<Sample> s = inner.sample(inv, now);
                Map<String, Double> m = new HashMap<>();
                for (Sample x : s) m.put(x.subject() + " " + x.metric(), x.value());
                ticks.add(new Tick(now, m, cpu, bytes));
                return s;
            };
            try (EnforcedAgent ea = EnforcedAgent.create(config, new HostEnforcement.Settings(rig.root,
                    rig.a.netns(), Set.of()), null, recording, List.of())) {
                AgentRunner runner = AgentRunner.system(ea.agent());
                runner.start();
                try {
                    // ---- monitor: measured, nothing in the kernel
                    Thread.sleep(300);
                    Process ph = Iperf.client(rig.a, "10.77.0.2", 5201, 7, "24M");
                    Process pl = Iperf.client(rig.a, "10.77.0.2", 5202, 7, "8M");
                    int from = ticks.size() + 1; // the first full interval with both flows running
                    Rig.await("5 monitor ticks", 15, () -> ticks.size() >= from + 5);
                    assertEquals(List.of(), rig.objects(), "monitor mode made nothing");
                    int to = from + 4;
                    for (String app : List.of("heavy", "light")) {
                        double reportedCpu = 0;
                        double reportedBytes = 0;
                        for (int k = from + 1; k <= to; k++) {
                            double dt = (ticks.get(k).nanos() - ticks.get(k - 1).nanos()) / 1e9;
                            reportedCpu += ticks.get(k).value(app + " cpu.cores") * dt;
                            reportedBytes += ticks.get(k).value(app + " net.out.bits_per_s") * dt / 8;
                        }
                        double usedCpu = (ticks.get(to).cpuTruth().get(app) - ticks.get(from).cpuTruth().get(app)) / 1e9;
                        double usedBytes = ticks.get(to).bytesTruth().get(app) - ticks.get(from).bytesTruth().get(app);
                        System.out.printf("monitor %s over ticks %d..%d: cpu reported %.3f s, used %.3f s; "
                                + "bytes reported %.0f, received %.0f%n", app, from, to, reportedCpu, usedCpu,
                                reportedBytes, usedBytes);
                        assertTrue(usedCpu > 0.5, app + " ran: " + usedCpu);
                        assertTrue(usedBytes > 1_000_000, app + " sent: " + usedBytes);
                        assertNear(usedCpu, reportedCpu, TOLERANCE, app + " CPU seconds reported in monitor mode");
                        assertNear(usedBytes, reportedBytes, TOLERANCE, app + " bytes reported in monitor mode");
                    }
                    assertEquals(0, Iperf.await(ph, 30).exitCode());
                    assertEquals(0, Iperf.await(pl, 30).exitCode());
                    assertEquals(0, ea.agent().counters().enforcements);

                    String unifiedBefore = unifiedCgroupOf(rig.heavy);
                    // ---- enforce: CPU 3:1, bandwidth 30/10
                    ea.agent().requestMode(Mode.ENFORCE);
                    runner.wake();
                    Rig.await("the loops in their groups", 10, () -> Files.exists(rig.cpu("light").resolve("cgroup.procs"))
                            && Rig.pids(rig.cpu("heavy")).contains(rig.heavy)
                            && Rig.pids(rig.cpu("light")).contains(rig.light));
                    rig.assertExactlyOneSet();
                    // our test root outweighs everything else on the pinned CPU, so both loops get enough time to
                    // measure a precise ratio even on a loaded machine (outsiders would take from both alike anyway)
                    Files.writeString(rig.cpu(null).resolve("cpu.shares"), "262144");
                    Thread.sleep(500);
                    long h0 = Rig.cpuacctUsage(rig.cpuacct("heavy"));
                    long l0 = Rig.cpuacctUsage(rig.cpuacct("light"));
                    Thread.sleep(3000);
                    long h1 = Rig.cpuacctUsage(rig.cpuacct("heavy"));
                    long l1 = Rig.cpuacctUsage(rig.cpuacct("light"));
                    double ratio = (double) (h1 - h0) / (l1 - l0);
                    System.out.printf("enforce: cpu heavy %.3f s, light %.3f s, ratio %.3f%n", (h1 - h0) / 1e9,
                            (l1 - l0) / 1e9, ratio);
                    assertTrue(l1 - l0 > 100_000_000L, "the light app ran at all");
                    assertEquals(3.0, ratio, 3.0 * TOLERANCE, "CPU split of weights 300:100");

                    Process bh = Iperf.client(rig.a, "10.77.0.2", 5201, 5, 0);
                    Process bl = Iperf.client(rig.a, "10.77.0.2", 5202, 5, 0);
                    Iperf.Report rh = Iperf.await(bh, 30);
                    Iperf.Report rl = Iperf.await(bl, 30);
                    assertEquals(0, rh.exitCode(), rh.raw());
                    assertEquals(0, rl.exitCode(), rl.raw());
                    double g = Iperf.TCP_GOODPUT_RATIO;
                    double heavyBw = rh.meanBetween(0.5, 4.5);
                    double lightBw = rl.meanBetween(0.5, 4.5);
                    System.out.printf("enforce: bandwidth heavy %.2f, light %.2f Mbit/s (expected %.2f / %.2f)%n",
                            heavyBw / MBIT, lightBw / MBIT, 30 * g, 10 * g);
                    assertNear(30 * MBIT * g, heavyBw, TOLERANCE, "heavy (booking 30 Mbit) goodput");
                    assertNear(10 * MBIT * g, lightBw, TOLERANCE, "light (booking 10 Mbit) goodput");
                    Tick last = ticks.get(ticks.size() - 1);
                    assertTrue(last.reported().containsKey("heavy pipe.uplink.out.bits_per_s"), last.reported().toString());
                    rig.assertExactlyOneSet();

                    // ---- monitor again: everything goes, the processes stay
                    ea.agent().requestMode(Mode.MONITOR);
                    runner.wake();
                    Rig.await("release", 10, () -> rig.objects().isEmpty());
                    assertEquals(List.of(), rig.objects());
                    assertTrue(ProcessHandle.of(rig.heavy).isPresent() && ProcessHandle.of(rig.light).isPresent());
                    assertEquals(1, ea.agent().counters().releases);
                    assertEquals(unifiedBefore, unifiedCgroupOf(rig.heavy), "back in the cgroup2 group it came from");
                    int before = ticks.size();
                    Rig.await("two more monitor ticks", 10, () -> ticks.size() >= before + 2);
                    assertEquals(List.of(), rig.objects(), "monitor ticks recreate nothing");
                } finally {
                    runner.stop();
                }
            }
        }
    }

    @Test
    void killMinusNineAtArbitraryMomentsThenRestartLeavesExactlyOneSetAndCleanupRemovesAll() throws Exception {
        try (Rig rig = new Rig()) {
            rig.startLoops();
            // someone else's objects in the same namespace, which cleanup must not touch
            Lab2.foreign(rig);
            Path dir = Files.createTempDirectory("pwe2e");
            Path file = dir.resolve("poolwarden.yaml");
            Files.writeString(file, rig.config("enforce"));
            Path monitorFile = dir.resolve("monitor.yaml");
            Files.writeString(monitorFile, rig.config("monitor"));
            List<Process> agents = new ArrayList<>();
            try {
                // A: enforces from scratch; killed at an arbitrary moment of its next reconciles
                Process agent = startAgent(rig, dir, "agentA", file, agents);
                Rig.await("agent A started", 30, () -> logHas(dir.resolve("agentA.log"), "started"));
                long t0 = System.nanoTime();
                awaitEnforcing(dir.resolve("agentA.log"), 1);
                long firstReconcileNanos = System.nanoTime() - t0;
                rig.assertExactlyOneSet();
                Thread.sleep(ThreadLocalRandom.current().nextLong(0, 2500));
                kill(rig, agent, dir.resolve("agentA.log"));

                // cleanup with the agent dead: everything of ours goes, nothing else
                int exit = new CommandLine(new CleanupCommand()).execute("--cgroup-root", rig.root, "--netns",
                        rig.a.netns().toString());
                assertEquals(0, exit);
                assertEquals(List.of(), rig.objects(), "cleanup removed everything");
                Lab2.assertForeignUntouched(rig);
                assertTrue(ProcessHandle.of(rig.heavy).isPresent(), "the app's processes keep running");

                // B: killed within what A's first reconcile took, so most likely half-way through its own
                agent = startAgent(rig, dir, "agentB", file, agents);
                Rig.await("agent B started", 30, () -> logHas(dir.resolve("agentB.log"), "started"));
                Thread.sleep(ThreadLocalRandom.current().nextLong(0, Math.max(1, firstReconcileNanos / 1_000_000)));
                kill(rig, agent, dir.resolve("agentB.log"));

                // C: takes over whatever B left; three reconciles without an error and without a duplicate
                agent = startAgent(rig, dir, "agentC", file, agents);
                awaitEnforcing(dir.resolve("agentC.log"), 3);
                rig.assertExactlyOneSet();
                String logC = Files.readString(dir.resolve("agentC.log"));
                assertTrue(logC.contains("enforcements=3 errors=0 "), logC);
                kill(rig, agent, dir.resolve("agentC.log"));
                System.out.printf("first reconcile of agent A: %.0f ms%n", firstReconcileNanos / 1e6);

                // D: restarted in monitor mode, the agent removes what a killed enforcing one left
                agent = startAgent(rig, dir, "agentD", monitorFile, agents);
                Rig.await("the monitor agent's first tick", 30, () -> logHas(dir.resolve("agentD.log"), "tick"));
                assertEquals(List.of(), rig.objects(), "monitor mode at start left nothing of ours");
                Lab2.assertForeignUntouched(rig);
                assertTrue(ProcessHandle.of(rig.heavy).isPresent() && ProcessHandle.of(rig.light).isPresent());
                kill(rig, agent, dir.resolve("agentD.log"));
            } finally {
                for (Process p : agents) p.destroyForcibly();
                for (Path p : Files.list(dir).toList()) Files.delete(p);
                Files.delete(dir);
            }
        }
    }

    static Process startAgent(Rig rig, Path dir, String name, Path config, List<Process> agents)
            throws java.io.IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx96m", "-cp", System.getProperty("java.class.path"),
                EnforcingAgentMain.class.getName(), config.toString(), rig.root, rig.a.netns().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        agents.add(p);
        return p;
    }

    static void awaitEnforcing(Path log, int reconciles) throws InterruptedException {
        Rig.await(reconciles + " reconciles (" + log + ")", 30, () -> logHas(log, "enforcements=" + reconciles + " "));
    }

    static void kill(Rig rig, Process agent, Path log) throws Exception {
        agent.destroyForcibly(); // SIGKILL
        assertTrue(agent.waitFor(10, TimeUnit.SECONDS));
        System.out.println("killed " + log.getFileName() + " after " + lines(log) + " ticks, leaving "
                + rig.objects().size() + " kinds of objects");
    }

    static String unifiedCgroupOf(int pid) throws java.io.IOException {
        return Files.readAllLines(Path.of("/proc/" + pid + "/cgroup")).stream().filter(l -> l.startsWith("0::"))
                .findFirst().orElseThrow();
    }

    static boolean logHas(Path log, String text) {
        try {
            return Files.readString(log).contains(text);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    static long lines(Path log) throws java.io.IOException {
        return Files.readAllLines(log).stream().filter(l -> l.startsWith("tick")).count();
    }

    /** Objects in namespace a that are not poolwarden's. */
    static final class Lab2 {
        static void foreign(Rig rig) {
            Lab2.link = rig.lab.link(rig.a, null, rig.b, null);
            rig.a.sh("tc qdisc add dev " + link.ifA() + " root handle 1: htb default 1");
            rig.a.sh("nft add table inet someoneelse");
        }

        static org.poolwarden.testkit.Lab.Link link;

        static void assertForeignUntouched(Rig rig) {
            assertTrue(rig.a.runOk("tc", "qdisc", "show", "dev", link.ifA()).stdout().contains("qdisc htb 1: root"));
            assertTrue(rig.a.runOk("nft", "list", "tables").stdout().contains("table inet someoneelse"));
        }
    }
}
