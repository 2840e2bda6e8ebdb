package org.poolwarden.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Lab;

/** The real jar, the real host: doctor must describe this machine correctly and leave nothing behind. */
@KernelTest(needs = {"java", "setpriv"}, libraries = "libnftables.so.1")
class DoctorKernelTest {
    static Path jar;

    @BeforeAll
    static void findJar() {
        Path root = Path.of(System.getenv().getOrDefault("POOLWARDEN_PROJECT_ROOT", ".."));
        jar = root.resolve("java-agent/target/poolwarden.jar");
        KernelRequirement.require(Files.exists(jar) ? null : "the agent jar is not built: " + jar);
    }

    static Lab.Result poolwarden(String... args) {
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        return Lab.run(cmd);
    }

    @Test
    void jsonDescribesThisHostsCgroupsAndProbesTcAndNftables() throws Exception {
        List<String> before = foreignNamespaces();
        Lab.Result r = poolwarden("doctor", "--json");
        JsonNode j = new ObjectMapper().readTree(r.stdout());
        assertEquals(1, j.path("formatVersion").asInt());
        assertTrue(j.path("privilege").path("root").asBoolean());

        // What the kernel says independently of our parser.
        String mounts = Files.readString(Path.of("/proc/self/mounts"));
        boolean unifiedHybrid = mounts.contains(" /sys/fs/cgroup/unified cgroup2 ");
        boolean v1cpu = mounts.lines().anyMatch(l -> l.split(" ")[2].equals("cgroup") && List.of(l.split(" ")[3].split(",")).contains("cpu"));
        JsonNode cg = j.path("cgroups");
        if (unifiedHybrid && v1cpu) {
            assertEquals("hybrid", cg.path("mode").asText());
            assertEquals("/sys/fs/cgroup/unified", cg.path("unifiedMount").asText());
            assertFalse(cg.path("unifiedControllers").toString().contains("\"cpu\""), "cpu is bound to v1 here");
            assertEquals("HybridV1CpuController", cg.path("cpuController").asText());
            String cpuMount = cg.path("v1Mounts").path("cpu").asText();
            String acctMount = cg.path("v1Mounts").path("cpuacct").asText();
            assertEquals(!cpuMount.equals(acctMount), cg.path("cpuAndCpuacctSeparate").asBoolean());
        } else if (mounts.contains(" /sys/fs/cgroup cgroup2 ")) {
            assertEquals("v2", cg.path("mode").asText());
        }

        for (String f : List.of("htb", "ingress", "ifb", "mirred", "u32", "cls_bpf")) {
            assertTrue(j.path("tc").has(f), "probed " + f);
        }
        assertTrue(j.path("tc").path("htb").path("works").asBoolean(), j.path("tc").toString());
        JsonNode nft = j.path("nftables");
        assertTrue(nft.path("works").asBoolean(), nft.toString());
        assertTrue(nft.path("version").asText().matches("\\d+\\.\\d+(\\.\\d+)?"), nft.toString());
        assertEquals(Files.isReadable(Path.of("/proc/pressure/cpu")), j.path("psi").path("cpu").asBoolean());

        JsonNode v = j.path("verdict");
        assertEquals(v.path("exitCode").asInt(), r.exitCode(), "exit status is the verdict's");
        assertEquals(v.path("problems").size() == 0, r.exitCode() == 0, v.toString());
        assertEquals(before, foreignNamespaces(), "the probes leave no namespace behind");
        assertNoLeftoverInterfaces();
    }

    @Test
    void humanOutputHasOneLinePerFinding() {
        Lab.Result r = poolwarden("doctor");
        assertTrue(r.stdout().contains("cgroups"), r.stdout());
        assertTrue(r.stdout().contains("enforcement"), r.stdout());
        assertTrue(r.stderr().isEmpty(), r.stderr());
    }

    @Test
    void withoutRootItSaysSoInOneLineAndExitsTwo() throws Exception {
        List<String> cmd = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "java", "-jar",
                jar.toString(), "doctor", "--json");
        Lab.Result r = Lab.run(cmd);
        JsonNode j = new ObjectMapper().readTree(r.stdout());
        assertEquals(2, r.exitCode(), r.stdout() + r.stderr());
        assertFalse(j.path("privilege").path("root").asBoolean());
        String first = j.path("verdict").path("problems").get(0).asText();
        assertTrue(first.startsWith("not running as root (euid 65534)"), first);
        assertNotNull(j.path("cgroups").path("mode").asText(), "the layout is still reported");
    }

    @Test
    void aBadArgumentIsOneLineAndExit64() {
        Lab.Result r = poolwarden("doctor", "--bogus");
        assertEquals(64, r.exitCode());
        assertTrue(r.stderr().startsWith("poolwarden doctor: Unknown option: '--bogus'"), r.stderr());
        assertFalse(r.stderr().contains("\tat "), "no stack trace");
    }

    /** Named namespaces other than concurrent lab runs' (which come and go while this test runs). */
    private static List<String> foreignNamespaces() {
        return Lab.listNamespaces().stream().filter(n -> !n.matches("pw[a-z0-9]{5}-.*")).sorted().toList();
    }

    private static void assertNoLeftoverInterfaces() {
        Lab.Result links = Lab.run(List.of("ip", "-o", "link", "show"));
        assertFalse(links.stdout().contains("pwprobe"), links.stdout());
    }
}
