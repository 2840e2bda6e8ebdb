package org.poolwarden.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import org.poolwarden.testing.KernelTest;

/**
 * The Ansible role (ansible/roles/poolwarden) through the example playbook (ansible/site.yml), run against this
 * machine with a local connection. The Debian package really gets installed (and is purged afterwards); the config
 * directory, pid file and log are in a temporary directory so the machine's /etc/poolwarden is never touched.
 *
 * <p>PID 1 is not systemd here, so the role starts the agent directly with start-stop-daemon and reloads it with
 * SIGHUP. The {@code agent} subcommand does not exist yet, so {@code poolwarden_agent_command} points at a stand-in
 * shell script that only records its start and every SIGHUP: it tests the role's start and reload, not the agent.
 * The tests run in order and share the host's state, as consecutive runs of a playbook do.
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

    Path work;
    Path configDir;
    Path events;
    Path pidFile;
    Path deb;
    HostPackageGuard guard;

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
        events = work.resolve("agent.events");
        pidFile = work.resolve("agent.pid");
        Files.writeString(work.resolve("inventory.ini"), HOST + " ansible_connection=local"
                + " ansible_python_interpreter=/usr/bin/python3\n[pool]\n" + HOST + "\n");
        // Stand-in for `poolwarden agent` (not written yet): records its start and each SIGHUP, and nothing else.
        Path standIn = work.resolve("agent-stand-in");
        Files.writeString(standIn, """
                #!/bin/sh
                echo "start $$" >> "$1"
                trap 'echo "hup $$" >> "$1"' HUP
                trap 'exit 0' TERM INT
                while :; do sleep 1 & wait $!; done
                """);
        Files.setPosixFilePermissions(standIn, PosixFilePermissions.fromString("rwxr-xr-x"));
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
                Commands.run(List.of("/sbin/start-stop-daemon", "--stop", "--oknodo", "--retry", "5", "--pidfile",
                        pidFile.toString()));
            }
        } finally {
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
        v.put("poolwarden_agent_command", List.of(work.resolve("agent-stand-in").toString(), events.toString()));
        v.put("poolwarden_pipes", List.of(Map.of("name", "loop", "interface", "lo", "capacity", "1gbit")));
        v.put("poolwarden_config_files", List.of(Map.of("src", work.resolve("reports.xml").toString(),
                "dest", "50-reports.xml")));
        v.put("poolwarden_apps", List.of(
                Map.of("name", "web", "processRules", List.of(Map.of("name", "nginx")),
                        "flowRules", List.of(Map.of("protocol", "tcp", "localPort", 443)),
                        "policy", Map.of("bandwidth", List.of(Map.of("pipe", "loop", "booking", "100mbit")))),
                Map.of("name", "backup", "processRules", List.of(Map.of("name", "restic")),
                        "policy", Map.of("cpu", Map.of("weight", 20, "cap", 25)))));
        return v;
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

    List<String> events() throws IOException {
        return Files.exists(events) ? Files.readAllLines(events) : List.of();
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
        assertEquals(List.of("web", "backup"), List.of(config.path("apps").path(0).path("name").asText(),
                config.path("apps").path(1).path("name").asText()));

        Path key = configDir.resolve("pool.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals(KEY + "\n", Files.readString(key));
        assertFalse(run.out().contains(KEY), "the pool key never appears in the output");

        assertEquals(List.of("start " + agentPid()), events(), "started once, directly (no systemd here)");
        assertTrue(ProcessHandle.of(Long.parseLong(agentPid())).map(ProcessHandle::isAlive).orElse(false));
    }

    @Test
    @Order(2)
    void secondRunChangesNothing() throws Exception {
        List<String> before = events();
        Run run = play(Map.of());
        assertEquals(0, run.result().exitCode(), run.result().describe());
        assertEquals(0, run.changed(), "idempotent:\n" + run.result().stdout());
        assertEquals(before, events(), "no restart, no reload");
    }

    @Test
    @Order(3)
    void checkModeWithDiffShowsTheChangeAndMakesNone() throws Exception {
        byte[] before = Files.readAllBytes(configFile());
        Run run = play(Map.of("poolwarden_mode", "enforce", "poolwarden_pool_key", ROTATED_KEY), "--check",
                "--diff");
        assertEquals(0, run.result().exitCode(), run.result().describe());
        assertTrue(run.result().stdout().contains("-mode: monitor") && run.result().stdout().contains("+mode: enforce"),
                run.result().stdout());
        assertFalse(run.out().contains(KEY) || run.out().contains(ROTATED_KEY), "--diff must not show the pool key");
        assertTrue(run.changed() >= 2, "config and key would change:\n" + run.result().stdout());
        assertEquals(new String(before), Files.readString(configFile()), "--check changed the file");
        assertEquals(KEY + "\n", Files.readString(configDir.resolve("pool.key")));
        assertEquals(1, events().size(), "--check signals nothing");
    }

    @Test
    @Order(4)
    void aConfigChangeIsValidatedWrittenAndReloadedWithSighupNotARestart() throws Exception {
        String pid = agentPid();
        Run run = play(Map.of("poolwarden_mode", "enforce"));
        assertEquals(0, run.result().exitCode(), run.result().describe());
        assertEquals(2, run.changed(), "the config file and the reload handler, nothing else (agent events " + events()
                + "):\n" + run.result().stdout());
        assertTrue(Pattern.compile("RUNNING HANDLER \\[poolwarden : Send SIGHUP to the directly started agent] \\*+\n"
                + "changed: \\[" + HOST + "]").matcher(run.result().stdout()).find(), run.result().stdout());
        assertEquals("enforce", new YAMLMapper().readTree(configFile().toFile()).path("mode").asText());
        assertEquals(List.of("start " + pid, "hup " + pid), events(), "one SIGHUP to the same process");
    }

    @Test
    @Order(5)
    void aBrokenConfigFailsAtTheValidateStepAndThePreviousOneStays() throws Exception {
        byte[] before = Files.readAllBytes(configFile());
        List<String> eventsBefore = events();
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
        assertEquals(eventsBefore, events(), "nothing is signalled");

        // The same for the other config files: a broken rules file is stopped by validate and never lands.
        Run xml = play(Map.of("poolwarden_mode", "enforce", "poolwarden_config_files", List.of(
                Map.of("src", work.resolve("reports.xml").toString(), "dest", "50-reports.xml"),
                Map.of("src", work.resolve("broken.xml").toString(), "dest", "60-broken.xml"))));
        assertNotEquals(0, xml.result().exitCode(), xml.result().describe());
        assertTrue(xml.result().stdout().contains("failed to validate"), xml.result().stdout());
        assertTrue(xml.result().stdout().contains("not-a-pid"), xml.result().stdout());
        assertFalse(Files.exists(configDir.resolve("60-broken.xml")), "a bad rules file never lands");
        assertEquals(eventsBefore, events());
    }

    @Test
    @Order(6)
    void badVariablesFailOnTheHostNamingVariableAndHostAndChangeNothing() throws Exception {
        byte[] config = Files.readAllBytes(configFile());
        List<String> eventsBefore = events();
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
        assertEquals(eventsBefore, events());
    }

    @Test
    @Order(7)
    void jarInstallIntoAPrefixWorksAndIsIdempotentToo() throws Exception {
        // install: jar puts the jar and a wrapper where it is told: here a prefix, beside the package of the runs above.
        Path jar = Commands.ROOT.resolve("java-agent/target/poolwarden.jar");
        Path prefix = work.resolve("jar");
        Path bin = prefix.resolve("bin/poolwarden");
        Path jarEvents = prefix.resolve("agent.events");
        Files.createDirectories(prefix.resolve("bin"));
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("poolwarden_install", "jar");
        overrides.put("poolwarden_jar_src", jar.toString());
        overrides.put("poolwarden_share_dir", prefix.resolve("share").toString());
        overrides.put("poolwarden_bin", bin.toString());
        overrides.put("poolwarden_manage_os_packages", false);
        overrides.put("poolwarden_config_dir", prefix.resolve("etc").toString());
        overrides.put("poolwarden_pid_file", prefix.resolve("agent.pid").toString());
        overrides.put("poolwarden_agent_command", List.of(work.resolve("agent-stand-in").toString(),
                jarEvents.toString()));
        try {
            Run first = play(overrides);
            assertEquals(0, first.result().exitCode(), first.result().describe());
            assertTrue(Files.isRegularFile(prefix.resolve("share/poolwarden.jar")));
            assertTrue(Files.isExecutable(prefix.resolve("share/poolwarden-ready")));
            Commands.Result version = Commands.run(List.of(bin.toString(), "--version"));
            assertEquals(0, version.exitCode(), version.describe());
            assertTrue(version.stdout().startsWith("poolwarden "), version.stdout());
            // The role validated with the wrapper it had just written.
            assertTrue(first.result().stdout().contains("TASK [poolwarden : Write poolwarden.yaml]"));
            Commands.Result valid = Commands.run(List.of(bin.toString(), "validate", prefix.resolve("etc").toString()));
            assertEquals(0, valid.exitCode(), valid.describe());
            assertEquals(1, Files.readAllLines(jarEvents).size());

            Run second = play(overrides);
            assertEquals(0, second.changed(), "idempotent:\n" + second.result().stdout());
        } finally {
            Commands.run(List.of("/sbin/start-stop-daemon", "--stop", "--oknodo", "--retry", "5", "--pidfile",
                    prefix.resolve("agent.pid").toString()));
        }
    }
}
