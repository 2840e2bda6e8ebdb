package org.poolwarden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.api.ApiFixture;
import org.poolwarden.api.ApiJson;
import org.poolwarden.api.ApiServer;
import org.poolwarden.api.FakeAgentApi;
import org.poolwarden.config.ConfigError;
import org.poolwarden.config.ConfigLoader;
import org.poolwarden.config.Location;
import org.poolwarden.config.Policy;
import org.poolwarden.config.PoolwardenConfig.Mode;
import org.poolwarden.log.Log;

/** The client commands through Main, against the real HTTP server backed by the fake agent. */
class ClientCommandsTest {
    @TempDir
    Path dir;
    ApiFixture.ManualClock clock = new ApiFixture.ManualClock(ApiFixture.START);
    FakeAgentApi agent;
    ApiServer server;
    Path tokenFile;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    @BeforeEach
    void start() throws Exception {
        agent = ApiFixture.agent(clock);
        tokenFile = dir.resolve("api.token");
        server = ApiServer.start(agent, new ApiServer.Config(new InetSocketAddress("127.0.0.1", 0), tokenFile,
                ApiServer.DEFAULT_MAX_BODY_BYTES), clock, Log.NONE);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        List<String> a = new ArrayList<>(List.of(args));
        a.addAll(List.of("--api", server.url(), "--token-file", tokenFile.toString()));
        return Main.run(a.toArray(new String[0]), new PrintWriter(out, true), new PrintWriter(err, true));
    }

    int runRaw(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    JsonNode json() throws Exception {
        return ApiJson.MAPPER.readTree(out.toString());
    }

    @Test
    void status() throws Exception {
        assertEquals(0, run("status"), err.toString());
        String o = out.toString();
        assertTrue(o.startsWith("poolwarden agent on host-a (version test)\n"), o);
        assertTrue(o.contains("mode:       monitor (measuring only; nothing is enforced)\n"), o);
        assertTrue(o.contains("uptime:     1h 02m (since 2026-11-23T10:00:00Z)\n"), o);
        assertTrue(o.contains("processes:  40 (4 in apps, 36 unassigned)\n"), o);
        assertTrue(o.contains("  ! insufficient_resources cpu since "), o);
        assertTrue(o.contains("  slow_ticks 1862\n"), o);
        assertEquals("", err.toString());

        assertEquals(0, run("status", "--json"));
        assertEquals(agent.status(), ApiJson.MAPPER.treeToValue(json(), org.poolwarden.api.Status.class));
    }

    @Test
    void apps() throws Exception {
        assertEquals(0, run("apps"), err.toString());
        String[] lines = out.toString().split("\n");
        assertEquals(3, lines.length, out.toString());
        assertTrue(lines[0].matches("APP\\s+PRIO\\s+PROCS\\s+CPU\\s+THROTTLED\\s+PSI10\\s+wan OUT\\s+wan IN\\s+PIDS"),
                lines[0]);
        assertTrue(lines[1].matches("web\\s+7\\s+3\\s+37\\.5%\\s+1\\.2%\\s+2\\.5%\\s+24\\.0 Mbit/s\\s+1\\.5 Mbit/s"
                + "\\s+101,102,103"), lines[1]);
        assertTrue(lines[2].matches("batch\\s+-\\s+1\\s+5\\.0%\\s+-\\s+-\\s+-\\s+-\\s+200"), lines[2]);

        assertEquals(0, run("apps", "--json"));
        assertEquals(2, json().size());
        assertEquals("web", json().get(0).get("name").asText());
    }

    @Test
    void topOncePrintsOnePlainFrame() throws Exception {
        assertEquals(0, run("top", "--once"), err.toString());
        String o = out.toString();
        assertTrue(o.startsWith("poolwarden top - host-a - mode monitor - up 1h 02m"), o);
        assertFalse(o.contains("\033"), "no terminal codes when not live");
        assertTrue(o.indexOf("\nweb ") < o.indexOf("\nbatch "), "busiest first: " + o);
        assertEquals(0, run("top", "--json"));
        assertEquals("host-a", json().get("status").get("host").asText());
        assertEquals(2, json().get("apps").size());
    }

    @Test
    void policyGetAndSet() throws Exception {
        assertEquals(0, run("policy", "get", "web"), err.toString());
        assertEquals("web: priority 7\n  cpu: weight 300\n  bandwidth wan: booking 30mbit, burst 50%\n",
                out.toString());
        assertEquals(0, run("policy", "get", "batch"));
        assertEquals("batch: no policy (monitored only)\n", out.toString());

        assertEquals(0, run("policy", "set", "batch", "priority=2", "cpu.cap=25%", "bandwidth.wan.burst=20mbit"),
                err.toString());
        assertTrue(out.toString().startsWith("batch: policy applied\nbatch: priority 2\n  cpu: cap 25%\n"
                + "  bandwidth wan: burst 20mbit\n"), out.toString());
        Policy p = agent.policy("batch");
        assertEquals(2, p.priority());
        assertEquals(25.0, p.cpu().capPercent());

        assertEquals(0, run("policy", "get", "batch", "--json"));
        assertEquals("20mbit", json().get("policy").get("bandwidth").get(0).get("burst").asText());
    }

    @Test
    void policyNeedsASubcommand() {
        assertEquals(64, runRaw("policy"));
        assertTrue(err.toString().startsWith("poolwarden policy: a subcommand is required (get, set)\n"), err.toString());
        assertEquals(0, runRaw("--help"));
        for (String c : List.of("status", "apps", "top", "policy", "history", "mode", "reload")) {
            assertTrue(out.toString().contains("\n  " + c + " "), c + " listed in: " + out);
        }
    }

    @Test
    void aRefusedPolicyPrintsEveryErrorAndChangesNothing() {
        int before = agent.changes();
        assertEquals(1, run("policy", "set", "web", "cpu.weight=0", "bandwidth.wan.booking=300mbit"));
        String[] lines = err.toString().strip().split("\n");
        // every error, not just the first: the booking also exceeds the pipe and now tops the 50% burst
        assertEquals(3, lines.length, err.toString());
        assertEquals("poolwarden policy set: web: cpu.weight: must be from 1 to 10000, found 0", lines[0]);
        assertTrue(lines[1].startsWith("poolwarden policy set: web: bandwidth[0].booking: booking 300mbit exceeds"),
                lines[1]);
        assertEquals("poolwarden policy set: web: bandwidth[0].burst: burst 50% is below the booking 300mbit",
                lines[2]);
        assertEquals(before, agent.changes());
        assertEquals(300, agent.policy("web").cpu().weight());
    }

    @Test
    void malformedEditsAreUsageErrorsBeforeAnythingIsSent() {
        assertEquals(64, run("policy", "set", "web", "cpu.weight"));
        assertEquals("poolwarden policy set: \"cpu.weight\" is not KEY=VALUE (example: cpu.weight=200)\n",
                err.toString());
        assertEquals(64, run("policy", "set", "web", "cpu.wieght=3"));
        assertTrue(err.toString().startsWith("poolwarden policy set: cpu.wieght: unknown key"), err.toString());
        assertEquals(64, run("policy", "set", "web"));
        assertTrue(err.toString().startsWith("poolwarden policy set: Missing required parameter"), err.toString());
        assertEquals(0, agent.changes());
    }

    @Test
    void unknownAppIsOneLineExit1() {
        assertEquals(1, run("policy", "get", "nope"));
        assertEquals("poolwarden policy get: no app named \"nope\"\n", err.toString());
        assertEquals(1, run("history", "nope"));
        assertEquals("poolwarden history: no app named \"nope\"\n", err.toString());
    }

    @Test
    void history() throws Exception {
        assertEquals(0, run("history", "web", "--since", "25m"), err.toString());
        String[] lines = out.toString().split("\n");
        assertEquals("web: 2 samples from 2026-11-23 10:37:05Z to 2026-11-23 11:02:05Z (every 2s)", lines[0]);
        assertTrue(lines[1].matches("TIME\\s+CPU\\s+THROTTLED\\s+wan OUT"), lines[1]);
        assertTrue(lines[2].matches("2026-11-23 10:42:05Z\\s+40\\.0%\\s+3 ms\\s+4\\.0 Mbit/s"), lines[2]);
        assertEquals(3 + 1, lines.length);
        assertEquals(0, run("history", "web", "--json"));
        assertEquals(5, json().get("samples").size());
        assertEquals(64, run("history", "web", "--since", "yesterday"));
        assertTrue(err.toString().startsWith("poolwarden history: since: \"yesterday\" is neither an age"),
                err.toString());
    }

    @Test
    void mode() throws Exception {
        assertEquals(0, run("mode"));
        assertEquals("mode: monitor\n", out.toString());
        assertEquals(0, run("mode", "enforce"));
        assertEquals("mode: monitor -> enforce\n", out.toString());
        assertEquals(Mode.ENFORCE, agent.status().mode());
        assertEquals(0, run("mode", "enforce"));
        assertEquals("mode: already enforce\n", out.toString());
        assertEquals(0, run("mode", "monitor", "--json"));
        assertEquals("enforce", json().get("previous").asText());
        assertEquals("monitor", json().get("current").asText());
        assertEquals(64, run("mode", "on"));
        assertEquals("poolwarden mode: mode: expected monitor or enforce, found \"on\"\n", err.toString());
        assertEquals(Mode.MONITOR, agent.status().mode());
    }

    @Test
    void reload() {
        agent.reloadFrom(() -> new ConfigLoader.Result(null, List.of(new ConfigError(
                new Location("/etc/poolwarden/poolwarden.yaml", 3, 7), "apps[0].name", "duplicate app name \"web\""))));
        assertEquals(1, run("reload"));
        assertEquals("/etc/poolwarden/poolwarden.yaml:3:7: apps[0].name: duplicate app name \"web\"\n"
                + "poolwarden reload: config rejected (1 error); the running config stays\n", err.toString());
        agent.reloadFrom(() -> ConfigLoader.parse("x.yaml", ApiFixture.CONFIG));
        assertEquals(0, run("reload"));
        assertEquals("config reloaded from test (2 apps)\n", out.toString());
    }

    @Test
    void noAgentAnsweringIsTheDocumentedOneLiner() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        for (String cmd : List.of("status", "apps", "top", "mode")) {
            assertEquals(3, runRaw(cmd, "--api", "http://127.0.0.1:" + port, "--token-file", tokenFile.toString()));
            assertEquals("poolwarden " + cmd + ": no agent answering at http://127.0.0.1:" + port
                    + " (is it running? start it with: sudo poolwarden agent)\n", err.toString());
        }
        // also when the token file is missing too (a fresh host where the agent never ran)
        assertEquals(3, runRaw("status", "--api", "http://127.0.0.1:" + port, "--token-file",
                dir.resolve("none").toString()));
        assertTrue(err.toString().contains("no agent answering"), err.toString());
    }

    @Test
    void tokenProblemsAreExit4() throws Exception {
        Path wrong = dir.resolve("wrong.token");
        Files.writeString(wrong, "0123456789abcdef\n");
        assertEquals(4, runRaw("status", "--api", server.url(), "--token-file", wrong.toString()));
        assertEquals("poolwarden status: the agent at " + server.url() + " refused the token (wrong token file?)\n",
                err.toString());
        assertEquals(4, runRaw("status", "--api", server.url(), "--token-file", dir.resolve("none").toString()));
        assertEquals("poolwarden status: no API token file " + dir.resolve("none")
                + " (the agent creates it when it starts)\n", err.toString());
        assertEquals(64, runRaw("status", "--api", "ftp://x", "--token-file", tokenFile.toString()));
        assertTrue(err.toString().startsWith("poolwarden status: --api: \"ftp://x\" is not an http:// URL"));
    }

    @Test
    void helpListsTheExitCodes() {
        assertEquals(0, runRaw("status", "--help"));
        assertTrue(out.toString().matches("(?s).*\\n  3 +no agent answering at the API address\\n.*"), out.toString());
    }

}
