package org.poolwarden.bin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelTest;
import org.poolwarden.testkit.Lab;

/** bin/poolwarden and bin/os-packages as a user runs them. */
@KernelTest(needs = {"java", "dpkg-query"})
class LauncherTest {
    static final Path ROOT = Path.of(System.getenv().getOrDefault("POOLWARDEN_PROJECT_ROOT", ".."));

    @Test
    void launcherRunsTheCliWithItsArgumentsAndExitStatus() {
        assertTrue(Files.exists(ROOT.resolve("java-agent/target/poolwarden.jar")), "built by the reactor before this module");
        Lab.Result version = Lab.run(List.of(ROOT.resolve("bin/poolwarden").toString(), "--version"));
        assertEquals(0, version.exitCode(), version.stderr());
        assertTrue(version.stdout().startsWith("poolwarden "), version.stdout());

        Lab.Result bad = Lab.run(List.of(ROOT.resolve("bin/poolwarden").toString(), "doctor", "--nope"));
        assertEquals(64, bad.exitCode());
        assertTrue(bad.stderr().contains("poolwarden doctor: Unknown option: '--nope'"), bad.stderr());
    }

    @Test
    void osPackagesKnowsItsSetsAndFindsEverythingInstalledAfterATestRun() {
        Lab.Result unknown = Lab.run(List.of(ROOT.resolve("bin/os-packages").toString(), "everything"));
        assertEquals(64, unknown.exitCode());
        assertTrue(unknown.stderr().contains("unknown set 'everything'"), unknown.stderr());
        // bin/test ran it before Maven, so nothing may be missing now, and it must say nothing.
        Lab.Result again = Lab.run(List.of(ROOT.resolve("bin/os-packages").toString(), "test"));
        assertEquals(0, again.exitCode(), again.stderr());
        assertEquals("", again.stderr());
    }
}
