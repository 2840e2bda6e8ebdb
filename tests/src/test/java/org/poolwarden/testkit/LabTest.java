package org.poolwarden.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.poolwarden.testing.KernelTest;

@KernelTest(needs = {"ip", "nsenter", "ping"})
class LabTest {
    @Test
    void hostsTalkOverAVethPairAndEverythingIsRemoved() {
        String prefix;
        try (Lab lab = Lab.create()) {
            prefix = lab.prefix();
            Lab.Host a = lab.host("a");
            Lab.Host b = lab.host("b");
            Lab.Link l = lab.link(a, "10.77.0.1/24", b, "10.77.0.2/24");
            assertTrue(l.ifA().startsWith(prefix) && l.ifA().length() <= 15, l.ifA());
            assertTrue(a.run("ping", "-c1", "-W2", "10.77.0.2").ok(), "veth pair carries traffic");
            assertTrue(Lab.listNamespaces().contains(prefix + "-a"));
            assertTrue(Files.exists(Lab.OWNERS.resolve(prefix)), "owner recorded for the sweep");
            // The commands see the host's cgroup mounts (nsenter does not remount /sys).
            assertTrue(a.run("test", "-d", "/sys/fs/cgroup/cpu").ok() || a.run("test", "-e", "/sys/fs/cgroup/cgroup.controllers").ok());
        }
        final String p = prefix;
        assertTrue(Lab.listNamespaces().stream().noneMatch(n -> n.startsWith(p)), "namespaces removed on close");
        assertFalse(Files.exists(Lab.OWNERS.resolve(prefix)));
    }

    @Test
    void bridgeJoinsThreeHosts() {
        try (Lab lab = Lab.create()) {
            Lab.Host r = lab.host("r");
            String br = lab.bridge(r, "br0");
            for (int i = 1; i <= 3; i++) {
                Lab.Host h = lab.host("h" + i);
                Lab.Link l = lab.link(h, "10.77.1." + i + "/24", r, null);
                r.enslave(l.ifB(), br);
            }
            Lab.Host h1 = lab.hostsForTest().get(1);
            assertTrue(h1.run("ping", "-c1", "-W2", "10.77.1.3").ok(), "h1 reaches h3 through the bridge");
        }
    }

    @Test
    void aKilledRunIsSweptAndALiveOneIsNot() throws Exception {
        // A run whose owner pid is dead: its namespace must go at the next create().
        String dead = "pwdead" + (char) ('a' + (int) (Math.random() * 26));
        Files.createDirectories(Lab.OWNERS);
        Files.writeString(Lab.OWNERS.resolve(dead), "999999999");
        Lab.exec(List.of("ip", "netns", "add", dead + "-x")).orThrow(List.of("ip", "netns", "add"));
        try (Lab live = Lab.create()) {
            live.host("keep");
            assertFalse(Lab.listNamespaces().contains(dead + "-x"), "stale namespace swept");
            Lab.sweepStale();
            assertTrue(Lab.listNamespaces().contains(live.prefix() + "-keep"), "a live run is never swept");
        }
    }

    @Test
    void backgroundProcessesAreKilledOnClose() {
        Process p;
        try (Lab lab = Lab.create()) {
            p = lab.host("a").start("sleep", "600");
            assertTrue(p.isAlive());
        }
        assertFalse(p.isAlive());
        assertEquals(true, p.exitValue() != 0);
    }
}
