package org.poolwarden.enforce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.poolwarden.cgroup.CgroupLayout;
import org.poolwarden.cgroup.CgroupTestRoots;
import org.poolwarden.cgroup.ProcessOrigins;
import org.poolwarden.testing.KernelRequirement;
import org.poolwarden.testing.KernelTest;

/**
 * The cgroup2 placement of hybrid hosts ({@link Cgroup2FsGroups}) on this host's real cgroup2 mount: a process placed
 * by one agent and released by the next one (after kill -9 and a restart) goes back to the cgroup it came from when
 * the agent keeps its origins in a file, and to the hierarchy's root when it keeps them only in memory.
 */
@KernelTest(needs = {"sleep"})
class Cgroup2OriginsKernelTest {

    @Test
    void aRestartedAgentSendsTheProcessHomeWithTheFileAndToTheRootWithout(@TempDir Path state) throws Exception {
        Path mount = CgroupLayout.detect().unifiedMount();
        KernelRequirement.require(mount == null ? "no cgroup2 mount on this host" : null);
        String root = CgroupTestRoots.newName();
        String home = CgroupTestRoots.newName();
        Process sleeper = new ProcessBuilder("sleep", "600").start();
        int pid = (int) sleeper.pid();
        try {
            Files.createDirectory(mount.resolve(home));
            Files.writeString(mount.resolve(home).resolve("cgroup.procs"), Integer.toString(pid));
            assertEquals("/" + home, cgroup2Of(pid));
            Path file = state.resolve(HostEnforcement.CGROUP2_ORIGINS_FILE);

            Cgroup2FsGroups first = new Cgroup2FsGroups(mount, root, ProcessOrigins.open(file));
            first.reconcile(Set.of("web"));
            assertEquals(1, first.place("web", Set.of(pid)));
            assertEquals("/" + root + "/web", cgroup2Of(pid));
            Cgroup2FsGroups restarted = new Cgroup2FsGroups(mount, root, ProcessOrigins.open(file));
            restarted.removeAll();
            assertEquals("/" + home, cgroup2Of(pid), "back in its own cgroup after a restart, from the file");
            assertFalse(Files.exists(mount.resolve(root)));
            assertEquals(0, ProcessOrigins.open(file).size(), "released: forgotten in the file too");

            // The limit without a file: the restarted agent does not know, the process ends up at the top.
            Cgroup2FsGroups forgetful = new Cgroup2FsGroups(mount, root, ProcessOrigins.inMemory());
            forgetful.reconcile(Set.of("web"));
            forgetful.place("web", Set.of(pid));
            new Cgroup2FsGroups(mount, root, ProcessOrigins.inMemory()).removeAll();
            assertEquals("/", cgroup2Of(pid));
        } finally {
            sleeper.destroyForcibly();
            sleeper.waitFor(5, TimeUnit.SECONDS);
            CgroupTestRoots.removeTree(mount.resolve(root), mount);
            CgroupTestRoots.removeTree(mount.resolve(home), mount);
        }
    }

    static String cgroup2Of(int pid) throws java.io.IOException {
        return EnforcementKernelTest.unifiedCgroupOf(pid).substring(3);
    }
}
