package org.poolwarden.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testkit.Lab;
import org.poolwarden.testing.KernelTest;

/**
 * The Ansible role (ansible/roles/poolwarden) through the example playbook (ansible/site.yml), run against this
 * machine with a local connection. The Debian package really gets installed (and is purged afterwards); the config
 * directory, pid file and log are in a temporary directory so the machine's /etc/poolwarden is never touched.
 *
 * <p>PID 1 is not systemd here, so the role starts the agent directly with start-stop-daemon and reloads it with
 * SIGHUP. The agent is the real one, {@code /usr/bin/poolwarden agent} from the package, in monitor mode: its API
 * (on a free loopback port, asked through {@code poolwarden status --json}) shows that it runs, what config it holds
 * and when it started; its network side is a namespace of this test's own and its cgroup root is this run's, so it
 * never meets the host's interfaces or another test's objects. The tests run in order and share the host's state, as
 * consecutive runs of a playbook do.
 */
@KernelTest(needs = {"dpkg", "java", "start-stop-daemon"}) // in /sbin, where the role calls it
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnsibleRoleKernelTest {
    static final String HOST = "pooltest1";
    /** The exchange's key file format: hex, 16 to 64 bytes. */
    static final String KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    static final String ROTATED_KEY = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    static final Pattern RECAP = Pattern.compile(HOST + "\\s*:\\s*ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)"
            + "\\s+failed=(\\d+)");

    /** The agent's first status can take a while on a loaded 2-core machine (JVM start, first slow tick). */
    static final Duration AGENT_START = Duration.ofSeconds(90);

    Path work;
    Path configDir;
    Path pidFile;
    Path deb;
    HostPackageGuard guard;
    Lab lab;
    Path netns;
    String cgroupRoot;
    int apiPort;

    /** What one playbook run reported for our host. */
    record Run(Commands.Result result, int ok, int changed, int failed) {
        String out() {
            return result.stdout() + result.stderr();
        }
    }

    @BeforeAll
    void setUp() throws IOException {
        KernelRequirement.require(Commands.ensureCommand("ansible-playbook", "ansible-core"));
        deb = Commands.builtDeb();
        KernelRequirement.require(deb == null ? "the package is not built (mvn -pl java-agent -am package)" : null);
        work = Files.createTempDirectory("pw-ansible");
        configDir = work.resolve("etc/poolwarden");
        pidFile = work.resolve("agent.pid");
        lab = Lab.create();
        netns = lab.host("a").netns();
        cgroupRoot = lab.prefix() + "-role";
        apiPort = freePort();
        Files.writeString(work.resolve("inventory.ini"), HOST + " ansible_connection=local"
                + " ansible_python_interpreter=/usr/bin/python3\n[pool]\n" + HOST + "\n");
        // A seed-format rules file, placed next to poolwarden.yaml through poolwarden_config_files.
        Files.writeString(work.resolve("reports.xml"), """
                <APP-RULES>
                  <APP-RULE NAME="reports">
                    <PROCESS-RULE><CMDLINE>report*</CMDLINE></PROCESS-RULE>
                  </APP-RULE>
                </APP-RULES>
                """);
        Files.writeString(work.resolve("broken.xml"), """
                <APP-RULES>
                  <APP-RULE NAME="broken">
                    <PROCESS-RULE><PROCESS-ID>not-a-pid</PROCESS-ID></PROCESS-RULE>
                  </APP-RULE>
                </APP-RULES>
                """);
        guard = HostPackageGuard.acquire();
    }

    @AfterAll
    void tearDown() throws IOException {
        try {
            if (pidFile != null && Files.exists(pidFile)) {
                Commands.run(List.of("/sbin/start-stop-daemon", "--stop", "--oknodo", "--retry", "TERM/20/KILL/5",
                        "--pidfile", pidFile.toString()));
            }
            // Monitor mode makes nothing, and a stopped agent releases what it had; this is for a failed test.
            if (cgroupRoot != null && Files.isExecutable(Path.of("/usr/bin/poolwarden"))) {
                Commands.run(List.of("/usr/bin/poolwarden", "cleanup", "--cgroup-root", cgroupRoot, "--netns",
                        netns.toString()));
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
            if (guard != null) {
                guard.close();
            }
            if (work != null) {
                Commands.run(List.of("rm", "-rf", work.toString()));
            }
        }
    }

    Map<String, Object> vars() {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("poolwarden_pool_key", KEY);
        v.put("poolwarden_deb_src", deb.toString());
        v.put("poolwarden_config_dir", configDir.toString());
        v.put("poolwarden_cache_dir", work.resolve("cache").toString());
        v.put("poolwarden_pid_file", pidFile.toString());
        v.put("poolwarden_log_file", work.resolve("agent.log").toString());
        v.put("poolwarden_agent_command", agentCommand("/usr/bin/poolwarden", work.resolve("agent"), apiPort));
        v.put("poolwarden_pipes", List.of(Map.of("name", "loop", "interface", "lo", "capacity", "1gbit")));
        // The agent's cgroups go under this run's own root (cgroups.root in the config the role writes).
        v.put("poolwarden_cgroup_root", cgroupRoot);
        v.put("poolwarden_config_files", List.of(Map.of("src", work.resolve("reports.xml").toString(),
                "dest", "50-reports.xml")));
        v.put("poolwarden_apps", apps());
        return v;
    }

    static List<Map<String, Object>> apps() {
        return List.of(
                Map.of("name", "web", "processRules", List.of(Map.of("name", "nginx")),
                        "flowRules", List.of(Map.of("protocol", "tcp", "localPort", 443)),
                        "policy", Map.of("bandwidth", List.of(Map.of("pipe", "loop", "booking", "100mbit")))),
                Map.of("name", "backup", "processRules", List.of(Map.of("name", "restic")),
                        "policy", Map.of("cpu", Map.of("weight", 20, "cap", 25))));
    }

    /** The real agent, with its state, API token and log in {@code dir}, its network side in the test's namespace. */
    List<String> agentCommand(String bin, Path dir, int port) {
        return List.of(bin, "agent", "--config", configDir.toString(), "--store", dir.resolve("history.db").toString(),
                "--api", "127.0.0.1:" + port, "--api-token-file", dir.resolve("api.token").toString(), "--netns",
                netns.toString(), "--log-format", "logfmt");
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code poolwarden status --json} against an agent; null while none answers. */
    static JsonNode status(String bin, Path dir, int port) throws IOException {
        Commands.Result r = Commands.run(List.of(bin, "status", "--json", "--api", "http://127.0.0.1:" + port,
                "--token-file", dir.resolve("api.token").toString()));
        return r.ok() ? new ObjectMapper().readTree(r.stdout()) : null;
    }

    JsonNode status() throws IOException {
        return status("/usr/bin/poolwarden", work.resolve("agent"), apiPort);
    }

    /** Polls the status until {@code done} holds for it; fails with the last answer and the agent's log. */
    static JsonNode awaitStatus(String bin, Path dir, int port, Path log, Duration limit,
            java.util.function.Predicate<JsonNode> done, String what) throws Exception {
        long end = System.nanoTime() + limit.toNanos();
        JsonNode last = null;
        while (System.nanoTime() < end) {
            last = status(bin, dir, port);
            if (last != null && done.test(last)) {
                return last;
            }
            Thread.sleep(500);
        }
        String logText = Files.exists(log) ? Files.readString(log) : "(no log)";
        throw new AssertionError(what + " within " + limit + "; last status: " + last + "\nagent log:\n" + logText);
    }

    JsonNode awaitStatus(java.util.function.Predicate<JsonNode> done, String what) throws Exception {
        return awaitStatus("/usr/bin/poolwarden", work.resolve("agent"), apiPort, work.resolve("agent.log"),
                AGENT_START, done, what);
    }

    static long counter(JsonNode status, String name) {
        return status.path("counters").path(name).asLong(-1);
    }

    /** The state a reload or restart would change: the agent's pid, start time and reload count. */
    record AgentState(String pid, String started, long reloads) {
    }

    AgentState agentState() throws IOException {
        JsonNode st = status();
        assertNotNull(st, "the agent answers");
        return new AgentState(agentPid(), st.path("started").asText(), counter(st, "reloads_accepted"));
    }

    Run play(Map<String, Object> overrides, String... args) throws IOException {
        Map<String, Object> v = vars();
        v.putAll(overrides);
        Path varsFile = work.resolve("vars.json");
        new ObjectMapper().writeValue(varsFile.toFile(), v);
        Path ansible = Commands.ROOT.resolve("ansible");
        List<String> cmd = new ArrayList<>(List.of("ansible-playbook", "-i", work.resolve("inventory.ini").toString(),
                "site.yml", "-e", "@" + varsFile));
        cmd.addAll(List.of(args));
        Commands.Result r = Commands.run(cmd, ansible, Map.of("ANSIBLE_CONFIG", ansible.resolve("ansible.cfg").toString(),
                "ANSIBLE_NOCOLOR", "1", "ANSIBLE_LOCAL_TEMP", work.resolve("ansible-tmp").toString(),
                "ANSIBLE_REMOTE_TEMP", work.resolve("ansible-tmp").toString()), Duration.ofMinutes(5));
        Matcher m = RECAP.matcher(r.stdout());
        assertTrue(m.find(), "no recap for " + HOST + ":\n" + r.describe());
        return new Run(r, Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(4)));
    }

    Path configFile() {
        return configDir.resolve("poolwarden.yaml");
    }

    String agentPid() throws IOException {
        return Files.readString(pidFile).strip();
    }

    @Test
    @Order(1)
    void firstRunInstallsThePackageAndAValidatedConfigAndStartsTheAgent() throws Exception {
        Run run = play(Map.of());
        assertEquals(0, run.failed(), run.result().describe());
        assertEquals(0, run.result().exitCode(), run.result().describe());
        assertTrue(run.changed() > 0, run.result().describe());

        assertEquals("install ok installed", Commands.packageStatus("poolwarden"));
        Commands.Result valid = Commands.run(List.of("/usr/bin/poolwarden", "validate", configDir.toString()));
        assertEquals(0, valid.exitCode(), valid.describe());
        assertTrue(valid.stdout().contains("valid (mode monitor, 3 apps, 1 pipes)"), "web, backup, and reports from"
                + " the XML file: " + valid.stdout());
        assertTrue(Files.isRegularFile(configDir.resolve("50-reports.xml")));
        JsonNode config = new YAMLMapper().readTree(configFile().toFile());
        assertEquals("monitor", config.path("mode").asText(), "monitor is the default");
        assertEquals("lo", config.path("pipes").path(0).path("interface").asText());
        assertEquals(cgroupRoot, config.path("cgroups").path("root").asText());
        assertEquals(List.of("web", "backup"), List.of(config.path("apps").path(0).path("name").asText(),
                config.path("apps").path(1).path("name").asText()));

        Path key = configDir.resolve("pool.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals(KEY + "\n", Files.readString(key));
        assertFalse(run.out().contains(KEY), "the pool key never appears in the output");

        // The real agent, started directly (no systemd here), answers with the config the role wrote.
        JsonNode st = awaitStatus(s -> s.path("apps").asInt() == 3, "the agent answers with 3 apps");
        assertEquals("monitor", st.path("mode").asText());
        assertEquals(0, counter(st, "reloads_accepted"), "started, never reloaded: " + st);
        assertEquals(0, counter(st, "slow_tick_errors"), "healthy: " + st);
        assertTrue(ProcessHandle.of(Long.parseLong(agentPid())).map(ProcessHandle::isAlive).orElse(false));
        String cmdline = Files.readString(Path.of("/proc", agentPid(), "cmdline")).replace('\0', ' ');
        assertTrue(cmdline.contains("/usr/share/poolwarden/poolwarden.jar agent --config " + configDir), cmdline);
        assertTrue(cmdline.contains(" " + Files.readString(Commands.ROOT.resolve("bin/agent-jvm-options")).strip()
                + " -jar "), "the agent's JVM options from the package: " + cmdline);
        String environ = Files.readString(Path.of("/proc", agentPid(), "environ"));
        assertTrue(("\0" + environ).contains("\0MALLOC_ARENA_MAX=2\0"), "the wrapper's malloc arenas: " + environ);
        String log = Files.readString(work.resolve("agent.log"));
        assertTrue(log.contains("cgroup_root=" + cgroupRoot), "cgroups.root from the role's config: " + log);
    }

    @Test
    @Order(2)
    void secondRunChangesNothing() throws Exception {
        AgentState before = agentState();
        Run run = play(Map.of());
        assertEquals(0, run.result().exitCode(), run.result().describe());
        assertEquals(0, run.changed(), "idempotent:\n" + run.result().stdout());
        assertEquals(before, agentState(), "no restart, no reload");
    }

    @Test
    @Order(3)
    void checkModeWithDiffShowsTheChangeAndMakesNone() throws Exception {
        byte[] before = Files.readAllBytes(configFile());
        AgentState agent = agentState();
        Run run = play(Map.of("poolwarden_mode", "enforce", "poolwarden_pool_key", ROTATED_KEY), "--check",
                "--diff");
        assertEquals(0, run.result().exitCode(), run.result().describe());
        assertTrue(run.result().stdout().contains("-mode: monitor") && run.result().stdout().contains("+mode: enforce"),
                run.result().stdout());
        assertFalse(run.out().contains(KEY) || run.out().contains(ROTATED_KEY), "--diff must not show the pool key");
        assertTrue(run.changed() >= 2, "config and key would change:\n" + run.result().stdout());
        assertEquals(new String(before), Files.readString(configFile()), "--check changed the file");
        assertEquals(KEY + "\n", Files.readString(configDir.resolve("pool.key")));
        assertEquals(agent, agentState(), "--check signals nothing");
    }

    @Test
    @Order(4)
    void aConfigChangeIsValidatedWrittenAndReloadedWithSighupNotARestart() throws Exception {
        AgentState before = agentState();
        List<Map<String, Object>> apps = new ArrayList<>(apps());
        apps.add(Map.of("name", "cache", "processRules", List.of(Map.of("name", "redis-server"))));
        Run run = play(Map.of("poolwarden_apps", apps));
        assertEquals(0, run.result().exitCode(), run.result().describe());
        assertEquals(2, run.changed(), "the config file and the reload handler, nothing else:\n"
                + run.result().stdout());
        assertTrue(Pattern.compile("RUNNING HANDLER \\[poolwarden : Send SIGHUP to the directly started agent] \\*+\n"
                + "changed: \\[" + HOST + "]").matcher(run.result().stdout()).find(), run.result().stdout());
        assertEquals("cache", new YAMLMapper().readTree(configFile().toFile()).path("apps").path(2).path("name")
                .asText());
        // The agent acted on the SIGHUP: the new app is in its config, one reload, the same process since the start.
        JsonNode st = awaitStatus(s -> s.path("apps").asInt() == 4, "the reloaded config (4 apps) in the status");
        assertEquals(before.reloads() + 1, counter(st, "reloads_accepted"), st.toString());
        assertEquals(before.pid(), agentPid());
        assertEquals(before.started(), st.path("started").asText(), "a reload, not a restart");
        assertTrue(ProcessHandle.of(Long.parseLong(before.pid())).map(ProcessHandle::isAlive).orElse(false));
        assertTrue(Files.readString(work.resolve("agent.log")).contains("msg=\"config reloaded\""));
    }

    @Test
    @Order(5)
    void aBrokenConfigFailsAtTheValidateStepAndThePreviousOneStays() throws Exception {
        byte[] before = Files.readAllBytes(configFile());
        AgentState agentBefore = agentState();
        Run run = play(Map.of("poolwarden_mode", "enforce", "poolwarden_apps", List.of(
                Map.of("name", "web", "flowRules", List.of(Map.of("protocol", "tcpx", "localPort", 443))),
                Map.of("name", "db", "processRules", List.of(Map.of("name", "postgres"))))));
        assertNotEquals(0, run.result().exitCode(), run.result().describe());
        assertEquals(1, run.failed());
        String out = run.result().stdout();
        assertTrue(out.contains("TASK [poolwarden : Write poolwarden.yaml]"), out);
        assertTrue(out.contains("failed to validate"), out);
        // poolwarden validate's own file:line:col error, about Ansible's temp file
        assertTrue(Pattern.compile("source:\\d+:\\d+: apps\\[0]\\.flowRules\\[0]\\.protocol: ").matcher(out).find(),
                out);
        assertEquals(new String(before), Files.readString(configFile()), "the previous config stays in place");
        assertEquals(agentBefore, agentState(), "nothing is signalled");

        // The same for the other config files: a broken rules file is stopped by validate and never lands.
        Run xml = play(Map.of("poolwarden_mode", "enforce", "poolwarden_config_files", List.of(
                Map.of("src", work.resolve("reports.xml").toString(), "dest", "50-reports.xml"),
                Map.of("src", work.resolve("broken.xml").toString(), "dest", "60-broken.xml"))));
        assertNotEquals(0, xml.result().exitCode(), xml.result().describe());
        assertTrue(xml.result().stdout().contains("failed to validate"), xml.result().stdout());
        assertTrue(xml.result().stdout().contains("not-a-pid"), xml.result().stdout());
        assertFalse(Files.exists(configDir.resolve("60-broken.xml")), "a bad rules file never lands");
        assertEquals(agentBefore, agentState());
    }

    @Test
    @Order(6)
    void badVariablesFailOnTheHostNamingVariableAndHostAndChangeNothing() throws Exception {
        byte[] config = Files.readAllBytes(configFile());
        AgentState agentBefore = agentState();
        // Each run also carries a legal change (a new key, monitor mode) that would show if the check let it pass.
        Map<String, Object> legalChange = Map.of("poolwarden_pool_key", ROTATED_KEY, "poolwarden_mode", "monitor");
        record Case(Map<String, Object> bad, String... expected) {
        }
        List<Case> cases = List.of(
                new Case(Map.of("poolwarden_mode", "enforc"), "poolwarden_mode is 'enforc' for host " + HOST,
                        "'monitor' or 'enforce'"),
                new Case(Map.of("poolwarden_pool_key", ""), "poolwarden_pool_key is missing", "for host " + HOST),
                new Case(Map.of("poolwarden_pool_key", "not-hex-but-long-enough-0123456789abcdef"),
                        "poolwarden_pool_key is missing or not 32 to 128 hex digits for host " + HOST),
                new Case(Map.of("poolwarden_pipes", List.of(Map.of("name", "wan", "interface", "pwnosuch0",
                        "capacity", "1gbit"))), "poolwarden_pipes names interface(s) pwnosuch0 that host " + HOST
                        + " does not have"));
        for (Case c : cases) {
            Map<String, Object> overrides = new LinkedHashMap<>(legalChange);
            overrides.putAll(c.bad());
            Run run = play(overrides);
            assertNotEquals(0, run.result().exitCode(), c.bad() + "\n" + run.result().describe());
            assertEquals(1, run.failed(), run.result().stdout());
            assertEquals(0, run.changed(), "a failed check changes nothing:\n" + run.result().stdout());
            for (String e : c.expected()) {
                assertTrue(run.result().stdout().contains(e), "expected '" + e + "' in\n" + run.result().stdout());
            }
            assertEquals(new String(config), Files.readString(configFile()));
            assertEquals(KEY + "\n", Files.readString(configDir.resolve("pool.key")));
        }
        assertEquals(agentBefore, agentState());
    }

    @Test
    @Order(7)
    void jarInstallIntoAPrefixWorksAndIsIdempotentToo() throws Exception {
        // install: jar puts the jar and a wrapper where it is told: here a prefix, beside the package of the runs above.
        Path jar = Commands.ROOT.resolve("java-agent/target/poolwarden.jar");
        Path prefix = work.resolve("jar");
        Path bin = prefix.resolve("bin/poolwarden");
        Path agentDir = prefix.resolve("agent");
        int port = freePort();
        Files.createDirectories(prefix.resolve("bin"));
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("poolwarden_install", "jar");
        overrides.put("poolwarden_jar_src", jar.toString());
        overrides.put("poolwarden_share_dir", prefix.resolve("share").toString());
        overrides.put("poolwarden_bin", bin.toString());
        overrides.put("poolwarden_manage_os_packages", false);
        overrides.put("poolwarden_config_dir", prefix.resolve("etc").toString());
        overrides.put("poolwarden_pid_file", prefix.resolve("agent.pid").toString());
        overrides.put("poolwarden_log_file", prefix.resolve("agent.log").toString());
        List<String> command = new ArrayList<>(agentCommand(bin.toString(), agentDir, port));
        command.set(command.indexOf("--config") + 1, prefix.resolve("etc").toString());
        overrides.put("poolwarden_agent_command", command);
        try {
            Run first = play(overrides);
            assertEquals(0, first.result().exitCode(), first.result().describe());
            assertTrue(Files.isRegularFile(prefix.resolve("share/poolwarden.jar")));
            assertTrue(Files.isExecutable(prefix.resolve("share/poolwarden-ready")));
            assertTrue(Files.isExecutable(prefix.resolve("share/poolwarden-token")));
            assertEquals(Files.readString(Commands.ROOT.resolve("bin/agent-jvm-options")),
                    Files.readString(prefix.resolve("share/agent-jvm-options")), "the agent's JVM options, as the launcher's");
            // One wrapper for both installs: the role writes the package's, with its own share directory.
            List<String> want = new ArrayList<>(Files.readString(Commands.ROOT.resolve("java-agent/src/deb/bin/poolwarden"))
                    .lines().map(l -> l.startsWith("share=") ? "share=" + prefix.resolve("share") : l).toList());
            List<String> got = new ArrayList<>(Files.readString(bin).lines().toList());
            assertTrue(got.size() > 1 && got.get(1).startsWith("# "), "the ansible_managed line: " + got);
            got.remove(1);
            assertEquals(want, got, "the role's wrapper is the package's with the share= line changed");
            Commands.Result version = Commands.run(List.of(bin.toString(), "--version"));
            assertEquals(0, version.exitCode(), version.describe());
            assertTrue(version.stdout().startsWith("poolwarden "), version.stdout());
            // The role validated with the wrapper it had just written.
            assertTrue(first.result().stdout().contains("TASK [poolwarden : Write poolwarden.yaml]"));
            Commands.Result valid = Commands.run(List.of(bin.toString(), "validate", prefix.resolve("etc").toString()));
            assertEquals(0, valid.exitCode(), valid.describe());
            // The agent runs from the jar through the wrapper and answers.
            JsonNode st = awaitStatus(bin.toString(), agentDir, port, prefix.resolve("agent.log"), AGENT_START,
                    s -> s.path("apps").asInt() == 3, "the jar-installed agent answers with 3 apps");
            String pid = Files.readString(prefix.resolve("agent.pid")).strip();
            String cmdline = Files.readString(Path.of("/proc", pid, "cmdline")).replace('\0', ' ');
            assertTrue(cmdline.contains(prefix.resolve("share/poolwarden.jar") + " agent"), cmdline);

            Run second = play(overrides);
            assertEquals(0, second.changed(), "idempotent:\n" + second.result().stdout());
            assertEquals(st.path("started").asText(), status(bin.toString(), agentDir, port).path("started").asText(),
                    "not restarted");
        } finally {
            Commands.run(List.of("/sbin/start-stop-daemon", "--stop", "--oknodo", "--retry", "TERM/20/KILL/5",
                    "--pidfile", prefix.resolve("agent.pid").toString()));
        }
    }
}
