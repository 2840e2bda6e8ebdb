package org.poolwarden.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/** The .deb the Maven build makes, installed with dpkg on this machine, used, and purged without a trace. */
@KernelTest(needs = {"dpkg", "dpkg-deb", "java"})
class DebianPackageKernelTest {
    static final List<Path> INSTALLED = List.of(Path.of("/usr/bin/poolwarden"),
            Path.of("/usr/share/poolwarden/poolwarden.jar"), Path.of("/usr/share/poolwarden/poolwarden-ready"),
            Path.of("/usr/share/poolwarden/poolwarden-token"), Path.of("/usr/share/poolwarden/agent-jvm-options"),
            Path.of("/lib/systemd/system/poolwarden.service"), Path.of("/lib/systemd/system/poolwarden.slice"),
            Path.of("/etc/poolwarden/poolwarden.yaml"), Path.of("/usr/share/doc/poolwarden/README.md"));

    @Test
    void installsRunsDoctorKeepsEditedConffileAndPurgesWithoutLeftovers() throws Exception {
        Path deb = Commands.builtDeb();
        KernelRequirement.require(deb == null ? "the package is not built (mvn -pl java-agent -am package)" : null);
        // The runtime dependencies (nftables, libnftables1, iproute2) come from the project's own installer.
        Commands.run(List.of(Commands.ROOT.resolve("bin/os-packages").toString(), "runtime")).orThrow();

        String control = Commands.run(List.of("dpkg-deb", "-f", deb.toString())).orThrow().stdout();
        assertTrue(control.contains("Package: poolwarden\n"), control);
        assertTrue(control.contains("Architecture: all\n"), control);
        assertTrue(control.contains("Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless, nftables,"
                + " libnftables1, iproute2\n"), control);
        String version = Commands.run(List.of("dpkg-deb", "-f", deb.toString(), "Version")).orThrow().stdout().strip();
        assertEquals("poolwarden_" + version + "_all.deb", deb.getFileName().toString());

        try (HostPackageGuard guard = HostPackageGuard.acquire()) {
            Commands.run(List.of("dpkg", "-i", deb.toString())).orThrow();
            assertEquals("install ok installed", Commands.packageStatus("poolwarden"));
            for (Path p : INSTALLED) {
                assertTrue(Files.isRegularFile(p), p + " installed");
            }
            assertTrue(Files.isExecutable(Path.of("/usr/bin/poolwarden")));
            String conffiles = Commands.run(List.of("dpkg-query", "-W", "-f=${Conffiles}", "poolwarden")).stdout();
            assertTrue(conffiles.contains("/etc/poolwarden/poolwarden.yaml "), conffiles);
            String config = Files.readString(Path.of("/etc/poolwarden/poolwarden.yaml"));
            assertTrue(config.lines().anyMatch(l -> l.equals("mode: monitor")), "default config is monitor mode");
            Commands.Result valid = Commands.run(List.of("/usr/bin/poolwarden", "validate", "/etc/poolwarden"));
            assertEquals(0, valid.exitCode(), valid.describe());
            assertTrue(valid.stdout().contains("valid (mode monitor"), valid.stdout());

            Commands.Result v = Commands.run(List.of("/usr/bin/poolwarden", "--version"));
            assertEquals(0, v.exitCode(), v.describe());
            assertTrue(v.stdout().startsWith("poolwarden "), v.stdout());

            // doctor through the packaged wrapper: a full report whose verdict is its exit status.
            Commands.Result d = Commands.run(List.of("/usr/bin/poolwarden", "doctor", "--json"));
            JsonNode j = new ObjectMapper().readTree(d.stdout());
            assertEquals(1, j.path("formatVersion").asInt(), d.describe());
            assertTrue(j.path("privilege").path("root").asBoolean(), d.stdout());
            assertTrue(j.path("nftables").path("library").asBoolean(), "libnftables1 came with the package: " + d.stdout());
            assertEquals(j.path("verdict").path("exitCode").asInt(), d.exitCode(), d.describe());

            // An operator's edit of the conffile survives a reinstall (an upgrade to the same version).
            Files.writeString(Path.of("/etc/poolwarden/poolwarden.yaml"), config + "\n# edited by the operator\n");
            Files.writeString(Path.of("/etc/poolwarden/pool.key"), "00112233445566778899aabbccddeeff\n");
            Commands.run(List.of("dpkg", "--force-confold", "-i", deb.toString())).orThrow();
            assertTrue(Files.readString(Path.of("/etc/poolwarden/poolwarden.yaml")).endsWith("# edited by the operator\n"));

            Commands.Result purge = HostPackageGuard.purge();
            assertEquals(0, purge.exitCode(), purge.describe());
            String after = Commands.packageStatus("poolwarden");
            assertTrue(after.isEmpty() || after.endsWith("not-installed"), "purged, dpkg says: " + after);
            for (Path p : INSTALLED) {
                assertFalse(Files.exists(p), p + " left behind");
            }
            for (Path dir : List.of(Path.of("/etc/poolwarden"), Path.of("/usr/share/poolwarden"),
                    Path.of("/usr/share/doc/poolwarden"), Path.of("/var/lib/poolwarden"))) {
                assertFalse(Files.exists(dir), dir + " left behind");
            }
            assertFalse(Commands.run(List.of("dpkg", "-L", "poolwarden")).ok(), "dpkg still lists files");
        }
    }
}
