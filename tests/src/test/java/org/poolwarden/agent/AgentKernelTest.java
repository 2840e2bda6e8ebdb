package org.poolwarden.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Lab;

/**
 * {@code poolwarden agent} end to end as the user runs it: the real jar as a process, driven through the CLI and
 * signals, on the real kernel. Everything it touches is the test's own: a lab network namespace (the pipe is a veth
 * inside it, nftables and tc live there), a per-run cgroup root (the lab prefix), and processes the config matches by
 * a command line that only this run uses.
 */
@KernelTest(needs = {"java", "ip", "tc", "nft", "nsenter", "kill", "sleep"}, libraries = "libnftables.so.1")
class AgentKernelTest {
    static Path jar;

    @TempDir
    Path tmp;

    @BeforeAll
    static void findJar() {
        jar = AgentProcess.jar();
        KernelRequirement.require(Files.exists(jar) ? null : "the agent jar is not built: " + jar);
    }

    static String config(String mode, String iface, String token, boolean third) {
        String y = """
                mode: %s
                pipes:
                  - {name: uplink, interface: %s, capacity: 100mbit}
                apps:
                  - name: work
                    processRules: [{cmdline: "sleep 3600.%s"}]
                    flowRules: [{protocol: tcp, remotePort: 5201}]
                    policy: {priority: 6, cpu: {weight: 300}, bandwidth: [{pipe: uplink, booking: 30mbit, burst: 60mbit}]}
                  - name: other
                    processRules: [{cmdline: "sleep 3601.%s"}]
                    policy: {priority: 3, cpu: {weight: 100}, bandwidth: [{pipe: uplink, booking: 10mbit}]}
                """.formatted(mode, iface, token, token);
        if (third) y += """
                  - name: extra
                    processRules: [{cmdline: "sleep 3602.%s"}]
                """.formatted(token);
        return y;
    }

    @Test
    void runsReloadsSwitchesModesSurvivesKill9AndCleansUp() throws Exception {
        String token = Integer.toString(ThreadLocalRandom.current().nextInt(100_000, 999_999));
        List<Process> workers = new ArrayList<>();
        try (Lab lab = Lab.create()) {
            Lab.Host a = lab.host("a");
            Lab.Host b = lab.host("b");
            Lab.Link link = lab.link(a, "10.77.0.1/24", b, "10.77.0.2/24");
            Process work = new ProcessBuilder("sleep", "3600." + token).start();
            Process other = new ProcessBuilder("sleep", "3601." + token).start();
            workers.add(work);
            workers.add(other);
            try (AgentProcess agent = new AgentProcess(jar, tmp, lab.prefix(), a.netns(), link.ifA(),
                    List.of("-Xmx64m"))) {
                agent.writeConfig(config("monitor", link.ifA(), token, false));
                agent.start();
                JsonNode status = agent.awaitReady(90_000);
                assertEquals("monitor", status.path("mode").asText().toLowerCase());
                assertEquals(2, status.path("apps").asInt());
                String log = agent.logText();
                assertTrue(Pattern.compile("msg=\"agent started\" mode=monitor config=" + Pattern.quote(
                        agent.config.resolve("poolwarden.yaml").toString()) + " .*cpu_controller=\\w+").matcher(log)
                        .find(), log);

                // Detection within a slow tick; monitor mode measures and changes nothing.
                AgentProcess.await("work detected", 15_000, () -> pids(agent, "work").contains(work.pid()));
                assertEquals(List.of(other.pid()), pids(agent, "other"));
                assertEquals(new TreeSet<>(), agent.cgroups(), "monitor mode: no cgroup of ours");
                assertEquals(List.of(), agent.tc(), "monitor mode: no qdisc of ours");
                assertEquals(List.of(), agent.nftTables(), "monitor mode: no nftables table");

                // A broken config on SIGHUP: logged with file:line:col, the agent stays on the old one.
                agent.writeConfig("mode: enforce\napps:\n  - name: work\n    bogus: 1\n");
                agent.signal("HUP");
                // The summary line comes first, then one line per error: wait for the error itself.
                String file = Pattern.quote(agent.config.resolve("poolwarden.yaml").toString());
                Pattern bogus = Pattern.compile(file + ":4:5: apps\\[0\\]\\.bogus: unknown field");
                AgentProcess.await("the rejection and its error in the log", 15_000,
                        () -> agent.logText().contains("config reload rejected") && bogus.matcher(agent.logText()).find());
                assertTrue(agent.process.isAlive());
                JsonNode after = agent.json("status", "--json");
                assertEquals("monitor", after.path("mode").asText().toLowerCase(), "the old config's mode");
                assertEquals(2, after.path("apps").asInt(), "the old config's apps");
                assertEquals(1, after.path("counters").path("api_reloads_rejected").asInt());
                assertEquals(new TreeSet<>(), agent.cgroups(), "the rejected config's enforce was not applied");

                // A valid changed config on SIGHUP: applied.
                agent.writeConfig(config("monitor", link.ifA(), token, true));
                agent.signal("HUP");
                AgentProcess.await("the reload in the log", 15_000, () -> agent.logText().contains(
                        "msg=\"config reloaded\""));
                JsonNode apps = agent.json("apps", "--json");
                assertEquals(3, apps.size(), apps.toString());
                assertEquals("extra", apps.get(2).path("name").asText());

                // Enforce through the CLI: our objects appear, the worker is placed in its group.
                Lab.Result m = agent.cli("mode", "enforce");
                assertEquals(0, m.exitCode(), m.stderr());
                AgentProcess.await("enforcement in the kernel", 15_000, () -> !agent.cgroupsOf(work.pid()).isEmpty()
                        && !agent.tc().isEmpty() && agent.nftTables().contains("table inet poolwarden"));
                TreeSet<String> groups = agent.cgroups();
                List<String> tc = agent.tc();
                assertTrue(groups.stream().anyMatch(g -> g.endsWith("/work")), groups.toString());
                assertEquals(1, tc.stream().filter(l -> l.startsWith("qdisc htb 5057:")).count(), tc.toString());
                assertEquals("enforce", agent.json("status", "--json").path("mode").asText().toLowerCase());

                // Back to monitor: everything goes.
                assertEquals(0, agent.cli("mode", "monitor").exitCode());
                AgentProcess.await("release", 15_000, () -> agent.cgroupsOf(work.pid()).isEmpty()
                        && agent.tc().isEmpty() && agent.nftTables().isEmpty());
                assertTrue(agent.cgroups().stream().noneMatch(g -> g.contains("/")), "no app group left: "
                        + agent.cgroups());

                // Enforce again, then kill -9: the restarted agent adopts the objects, no duplicate, no leak.
                assertEquals(0, agent.cli("mode", "enforce").exitCode());
                AgentProcess.await("enforcement again", 15_000, () -> agent.tc().equals(tc)
                        && !agent.cgroupsOf(work.pid()).isEmpty());
                assertEquals(groups, agent.cgroups());
                java.util.Map<String, Object> inodes = agent.cgroupInodes();
                String rules = agent.nftRuleset();
                agent.process.destroyForcibly();
                assertTrue(agent.process.waitFor(10, TimeUnit.SECONDS));
                assertEquals(groups, agent.cgroups(), "kill -9 leaves enforcement as it was");
                agent.start("--mode", "enforce");
                agent.awaitReady(90_000);
                AgentProcess.await("the new agent's first enforcement", 15_000, () -> {
                    try {
                        return agent.json("status", "--json").path("counters").path("enforcer_applies").asInt() >= 2;
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                assertEquals(groups, agent.cgroups(), "exactly one set of cgroups");
                assertEquals(inodes, agent.cgroupInodes(), "the same cgroups, adopted rather than made again");
                assertEquals(tc, agent.tc(), "exactly one set of tc objects");
                assertEquals(List.of("table inet poolwarden"), agent.nftTables());
                assertEquals(rules, agent.nftRuleset(), "the same rules, not a second copy");
                assertFalse(agent.cgroupsOf(work.pid()).isEmpty(), "the worker is still placed");

                // SIGTERM in enforce mode: a clean exit that leaves enforcement for the next agent (documented).
                agent.signal("TERM");
                assertTrue(agent.process.waitFor(20, TimeUnit.SECONDS), agent.logText());
                assertEquals(0, agent.process.exitValue(), agent.logText());
                assertEquals(groups, agent.cgroups());
                assertTrue(agent.logText().contains("left in place"), agent.logText());

                // --cleanup removes every object of ours.
                Lab.Result c = agent.cleanup();
                assertEquals(0, c.exitCode(), c.stderr());
                assertEquals(new TreeSet<>(), agent.cgroups());
                assertEquals(List.of(), agent.tc());
                assertEquals(List.of(), agent.nftTables());

                // And a monitor-mode agent stopped with SIGTERM leaves nothing either.
                agent.writeConfig(config("monitor", link.ifA(), token, false));
                agent.start();
                agent.awaitReady(90_000);
                agent.signal("INT");
                assertTrue(agent.process.waitFor(20, TimeUnit.SECONDS));
                assertEquals(0, agent.process.exitValue(), agent.logText());
                assertEquals(new TreeSet<>(), agent.cgroups());
                assertEquals(List.of(), agent.nftTables());
            }
        } finally {
            for (Process p : workers) p.destroyForcibly();
        }
    }

    static List<Long> pids(AgentProcess agent, String app) {
        try {
            for (JsonNode a : agent.json("apps", "--json")) {
                if (!a.path("name").asText().equals(app)) continue;
                List<Long> out = new ArrayList<>();
                for (JsonNode i : a.path("instances")) for (JsonNode p : i.path("pids")) out.add(p.asLong());
                return out;
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return List.of();
    }
}
