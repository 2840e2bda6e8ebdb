package org.poolwarden.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/**
 * The packaged systemd unit and slice, checked offline: PID 1 is not systemd on the test machines, so
 * {@code systemd-analyze verify --root} runs against a root made of the package's files plus this machine's own
 * unit files (the targets the unit refers to) and {@code /bin/kill} (its ExecReload).
 */
@KernelTest(needs = {"dpkg-deb"})
class SystemdUnitKernelTest {
    static Path root;

    @BeforeAll
    static void buildRoot() throws IOException {
        KernelRequirement.require(Commands.ensureCommand("systemd-analyze", "systemd"));
        Path deb = Commands.builtDeb();
        KernelRequirement.require(deb == null ? "the package is not built (mvn -pl java-agent -am package)" : null);
        root = Files.createTempDirectory("pw-unit-root");
        Commands.run(List.of("dpkg-deb", "-x", deb.toString(), root.toString())).orThrow();
        Path units = root.resolve("lib/systemd/system");
        // -n: the package's own files win over anything of the same name on this machine.
        Commands.run(List.of("cp", "-an", "/lib/systemd/system/.", units.toString())).orThrow();
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/kill"), root.resolve("bin/kill"));
    }

    @AfterAll
    static void removeRoot() {
        if (root != null) {
            Commands.run(List.of("rm", "-rf", root.toString()));
        }
    }

    static Commands.Result verify(String... units) {
        List<String> cmd = new java.util.ArrayList<>(List.of("systemd-analyze", "verify", "--root=" + root));
        cmd.addAll(List.of(units));
        return Commands.run(cmd);
    }

    @Test
    void unitAndSliceVerifyWithoutAWarning() {
        Commands.Result r = verify("poolwarden.service", "poolwarden.slice");
        assertEquals(0, r.exitCode(), r.describe());
        // verify exits 0 on unknown keys and unparsable values, and only warns: the warnings are the real check.
        assertEquals("", r.stderr().strip(), r.describe());
        assertEquals("", r.stdout().strip(), r.describe());
    }

    @Test
    void verifyReallyReadsOurFile() throws IOException {
        // The negative control for the test above: the same unit with a typo must be reported.
        Path unit = root.resolve("lib/systemd/system/poolwarden.service");
        String good = Files.readString(unit);
        try {
            Files.writeString(unit, good.replace("Restart=on-failure", "Restart=on-falure"));
            Commands.Result r = verify("poolwarden.service");
            assertTrue(r.stderr().contains("poolwarden.service:") && r.stderr().contains("on-falure"), r.describe());
        } finally {
            Files.writeString(unit, good);
        }
    }

    @Test
    void systemdSeesTheDelegationAndHardeningWeMeant() {
        Commands.Result r = Commands.run(List.of("systemd-analyze", "security", "--offline=yes", "--root=" + root,
                "--no-pager", "poolwarden.service"));
        String out = r.stdout();
        assertTrue(out.contains("Service maintains its own delegated control group subtree"), out);
        assertTrue(out.contains("Service has strict read-only access to the OS file hierarchy"), out);
        assertTrue(out.contains("Service cannot load kernel modules"), out);
        assertTrue(out.contains("Service cannot change UID/GID identities/capabilities"), out);
        assertTrue(out.contains("Service cannot create user namespaces"), out);
        Matcher m = Pattern.compile("Overall exposure level for poolwarden\\.service: (\\d+\\.\\d)").matcher(out);
        assertTrue(m.find(), out);
        // 3.5 with CAP_SYS_NICE (see src/deb/README.md); the bound catches a setting dropped by accident.
        assertTrue(Double.parseDouble(m.group(1)) <= 3.5, "exposure " + m.group(1) + "\n" + out);
    }

    @Test
    void readinessCheckFollowsTheAgentProcess() throws Exception {
        Path ready = root.resolve("usr/share/poolwarden/poolwarden-ready");
        Path flag = root.resolve("ready-flag");
        int freePort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            freePort = probe.getLocalPort();
        }
        Map<String, String> env = Map.of("POOLWARDEN_READY_FILE", flag.toString(), "POOLWARDEN_READY_SETTLE", "2",
                "POOLWARDEN_READY_API_PORT", Integer.toString(freePort));
        Process alive = new ProcessBuilder("sleep", "30").start();
        try (java.net.ServerSocket api = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            // An agent whose API listens is ready at once, without the settle time.
            long t0 = System.nanoTime();
            Commands.Result listening = Commands.run(List.of(ready.toString(), Long.toString(alive.pid())), null,
                    Map.of("POOLWARDEN_READY_FILE", flag.toString(), "POOLWARDEN_READY_SETTLE", "5",
                            "POOLWARDEN_READY_API_PORT", Integer.toString(api.getLocalPort())),
                    java.time.Duration.ofSeconds(20));
            assertEquals(0, listening.exitCode(), listening.describe());
            assertTrue(System.nanoTime() - t0 < 3_000_000_000L, "the listening API ends the wait at once");

            long start = System.nanoTime();
            Commands.Result ok = Commands.run(List.of(ready.toString(), Long.toString(alive.pid())), null, env,
                    java.time.Duration.ofSeconds(20));
            assertEquals(0, ok.exitCode(), ok.describe());
            assertTrue(System.nanoTime() - start >= 1_900_000_000L, "waited the settle time for a silent agent");

            Files.writeString(flag, "");
            start = System.nanoTime();
            Commands.Result signalled = Commands.run(List.of(ready.toString(), Long.toString(alive.pid())), null,
                    env, java.time.Duration.ofSeconds(20));
            assertEquals(0, signalled.exitCode(), signalled.describe());
            assertTrue(System.nanoTime() - start < 1_500_000_000L, "the ready file ends the wait at once");
        } finally {
            alive.destroyForcibly().waitFor();
        }
        Files.deleteIfExists(flag);
        Commands.Result dead = Commands.run(List.of(ready.toString(), Long.toString(alive.pid())), null, env,
                java.time.Duration.ofSeconds(20));
        assertEquals(1, dead.exitCode(), dead.describe());
        assertTrue(dead.stderr().contains("exited during start-up"), dead.describe());

        Commands.Result usage = Commands.run(List.of(ready.toString(), "notapid"));
        assertEquals(64, usage.exitCode(), usage.describe());
    }

    @Test
    void theSystemCallDenyListSparesWhatTheAgentCalls() throws IOException {
        String unit = Files.readString(root.resolve("lib/systemd/system/poolwarden.service"));
        String filter = unit.lines().filter(l -> l.startsWith("SystemCallFilter=~")).findFirst().orElseThrow()
                .substring("SystemCallFilter=~".length());
        java.util.Set<String> denied = new java.util.TreeSet<>();
        for (String group : filter.split("\\s+")) {
            Commands.Result r = Commands.run(List.of("systemd-analyze", "syscall-filter", "--no-pager", group));
            assertEquals(0, r.exitCode(), r.describe());
            r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")
                    && !l.startsWith("@")).forEach(denied::add);
        }
        assertTrue(denied.contains("mount") && denied.contains("ptrace"), "the groups were expanded: " + denied);
        // Namespaced probes, netlink to tc and nftables, BPF for the cls_bpf probe, and what a JVM needs to live.
        List<String> needed = List.of("setns", "unshare", "bpf", "socket", "bind", "sendto", "sendmsg", "recvmsg",
                "recvfrom", "clone", "clone3", "execve", "mmap", "mprotect", "madvise", "futex", "rt_sigaction",
                "sched_getaffinity", "prctl", "getrandom", "openat", "kill", "tgkill");
        for (String call : needed) {
            assertTrue(!denied.contains(call), call + " would be denied by SystemCallFilter=~" + filter);
        }
    }
}
